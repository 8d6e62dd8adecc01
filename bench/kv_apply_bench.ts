/**
 * What the state machine's apply costs per entry, with nothing else of a node around it: one
 * KvStateMachine over the simulated disk applies N entries of one RESP `SET` each (then N
 * protobuf puts), from one client session, in passes of 100 entries, over 20,000 keys. Prints
 * wall time and process CPU time per entry. Used to check that region-local keys (issue 15)
 * did not make a SET's apply slower: run it on two checkouts alternately.
 *
 *   deno run -A bench/kv_apply_bench.ts [--entries 20000]
 *   bun bench/kv_apply_bench.ts [--entries 20000]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { encodeCommand } from "../src/kv/command_codec.ts";
import { KvStateMachine } from "../src/kv/state_machine.ts";
import { createSimWorld } from "../src/platform/sim/sim_world.ts";
import { Db } from "../src/storage/db.ts";

const { values } = parseArgs({ options: { entries: { type: "string", default: "20000" } } });
const N = Number(values.entries);
const enc = new TextEncoder();
const session = (client: bigint, i: number) => ({
  clientId: client,
  sequence: BigInt(i + 1),
  ackedSequence: BigInt(i),
  proposedAtMs: 1000n,
});

function respSet(i: number): Uint8Array {
  const args = [enc.encode("set"), enc.encode(`key:${i % 20_000}`), enc.encode("x".repeat(64))];
  return encodeCommand({
    ...session(5n, i),
    body: { case: "redis", value: { db: 0, commands: [{ args }] } },
  });
}

function put(i: number): Uint8Array {
  const value = { key: enc.encode(`k:${i % 20_000}`), value: enc.encode("y".repeat(64)) };
  return encodeCommand({ ...session(6n, i), body: { case: "put", value } });
}

async function run(name: string, make: (i: number) => Uint8Array): Promise<void> {
  const world = createSimWorld(1);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  const kv = await KvStateMachine.open(db);
  await kv.apply([{ index: 1, data: null }]);
  const entries = Array.from({ length: N }, (_, i) => ({ index: i + 2, data: make(i) }));
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < N; i += 100) await kv.apply(entries.slice(i, i + 100));
  const wallUs = (performance.now() - start) * 1000 / N;
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / N;
  console.log(`${name}: ${wallUs.toFixed(1)} µs/entry wall, ${cpuUs.toFixed(1)} µs/entry CPU`);
  await db.close();
}

await run("RESP SET", respSet);
await run("protobuf put", put);
