/**
 * Does a put get dearer as the key history grows and auto-compaction runs (issue 14)? One
 * KvStateMachine over the simulated disk applies protobuf puts of 100 B values to 1,000 keys,
 * 100 entries per apply pass; every `--compact-every` revisions it compacts to the revision
 * `--retain` back (what a node's auto-compaction does with its defaults: 100,000 revisions,
 * checked every 5 s, i.e. every ~60,000 revisions at 12k puts/s), the compactor running between
 * the passes as on a node. Prints, per window of `--window` puts, process CPU µs per put, the
 * engine entries scans stepped over per put, the memtable, levels and heap.
 *
 *   deno run -A bench/history_growth_bench.ts [--puts 400000] [--window 40000]
 *   bun bench/history_growth_bench.ts [...]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { encodeCommand } from "../src/kv/command_codec.ts";
import { KvStateMachine } from "../src/kv/state_machine.ts";
import { createSimWorld } from "../src/platform/sim/sim_world.ts";
import { Db } from "../src/storage/db.ts";

const { values } = parseArgs({
  options: {
    puts: { type: "string", default: "400000" },
    window: { type: "string", default: "40000" },
    keys: { type: "string", default: "1000" },
    retain: { type: "string", default: "100000" },
    "compact-every": { type: "string", default: "60000" },
  },
});
const PUTS = Number(values.puts);
const WINDOW = Number(values.window);
const KEYS = Number(values.keys);
const RETAIN = Number(values.retain);
const COMPACT_EVERY = Number(values["compact-every"]);
const enc = new TextEncoder();
const value = enc.encode("v".repeat(100));

function put(i: number): Uint8Array {
  const body = { case: "put" as const, value: { key: enc.encode(`key-${i % KEYS}`), value } };
  return encodeCommand({
    clientId: 9n,
    sequence: BigInt(i + 1),
    ackedSequence: BigInt(i),
    body,
  });
}

function compact(revision: number, i: number): Uint8Array {
  const body = { case: "compact" as const, value: { revision: BigInt(revision) } };
  return encodeCommand({ clientId: 9n, sequence: BigInt(i + 1), ackedSequence: BigInt(i), body });
}

const world = createSimWorld(1);
world.fs.mkdir("kv");
const db = await Db.open(world.fs, "kv", { wal: false });
const kv = await KvStateMachine.open(db);
await kv.apply([{ index: 1, data: null }]);
let index = 2, seq = 0, lastCompact = 0;
const cpuStart = process.cpuUsage();
let cpu = process.cpuUsage();
let steps = db.stats().scanSteps;
console.log("puts      µs/put CPU  scan steps/put  memtable MiB  L0  L1  L2  heap MiB  compacted");
for (let done = 0; done < PUTS;) {
  const entries = [];
  for (let j = 0; j < 100; j++) entries.push({ index: index++, data: put(seq++) });
  await kv.apply(entries);
  done += 100;
  const revision = kv.revision;
  if (revision - lastCompact >= COMPACT_EVERY && revision > RETAIN) {
    lastCompact = revision;
    await kv.apply([{ index: index++, data: compact(revision - RETAIN, seq++) }]);
  }
  // The compactor runs between passes (a node gives it timer turns between requests).
  await new Promise((r) => setTimeout(r, 0));
  if (done % WINDOW === 0) {
    const used = process.cpuUsage(cpu);
    const s = db.stats();
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    const row = [
      String(done).padEnd(9),
      ((used.user + used.system) / WINDOW).toFixed(1).padStart(11),
      ((s.scanSteps - steps) / WINDOW).toFixed(2).padStart(15),
      (s.memtableBytes / 2 ** 20).toFixed(1).padStart(13),
      ...s.levels.slice(0, 3).map((l) => String(l.files).padStart(3)),
      heap.toFixed(0).padStart(9),
      String(kv.compactedRevision).padStart(10),
    ];
    console.log(row.join(" "));
    cpu = process.cpuUsage();
    steps = s.scanSteps;
  }
}
await kv.compactor.idle();
const total = process.cpuUsage(cpuStart);
console.log(
  `all ${PUTS} puts and their compaction: ${
    ((total.user + total.system) / PUTS).toFixed(1)
  } µs/put CPU`,
);
await db.close();
