/**
 * What the state machine's apply costs per entry, with nothing else of a node around it: one
 * KvStateMachine over the simulated disk applies N entries of one RESP `SET` each (then N
 * protobuf puts), from one client session, in passes of 100 entries, over 20,000 keys. Prints
 * wall time and process CPU time per entry. Used to check that region-local keys (issue 15)
 * did not make a SET's apply slower: run it on two checkouts alternately. `--batch K` (K > 1)
 * adds a third row: entries of K SETs of K clients each (a RedisBatch, as the RESP port's write
 * batching proposes them under load), per SET.
 *
 *   deno run -A bench/kv_apply_bench.ts [--entries 20000] [--batch 50]
 *   bun bench/kv_apply_bench.ts [--entries 20000] [--batch 50]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { encodeCommand } from "../src/kv/command_codec.ts";
import { KvStateMachine } from "../src/kv/state_machine.ts";
import { createSimWorld } from "../src/platform/sim/sim_world.ts";
import { Db } from "../src/storage/db.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "20000" },
    batch: { type: "string", default: "1" },
  },
});
const N = Number(values.entries);
const BATCH = Number(values.batch);
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

/** Entry `i` of K SETs, request j from client 100 + j, every key distinct within it. */
function respBatch(i: number): Uint8Array {
  const requests = Array.from({ length: BATCH }, (_, j) => {
    const key = enc.encode(`key:${(i * BATCH + j) % 20_000}`);
    return { db: 0, commands: [{ args: [enc.encode("set"), key, enc.encode("x".repeat(64))] }] };
  });
  return encodeCommand({ ...session(7n, i), body: { case: "redisBatch", value: { requests } } });
}

function put(i: number): Uint8Array {
  const value = { key: enc.encode(`k:${i % 20_000}`), value: enc.encode("y".repeat(64)) };
  return encodeCommand({ ...session(6n, i), body: { case: "put", value } });
}

async function run(name: string, make: (i: number) => Uint8Array, per = 1): Promise<void> {
  const world = createSimWorld(1);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  const kv = await KvStateMachine.open(db);
  await kv.apply([{ index: 1, data: null }]);
  const entries = Array.from({ length: N }, (_, i) => ({ index: i + 2, data: make(i) }));
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < N; i += 100) await kv.apply(entries.slice(i, i + 100));
  const wallUs = (performance.now() - start) * 1000 / (N * per);
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / (N * per);
  const unit = per === 1 ? "entry" : "SET";
  console.log(`${name}: ${wallUs.toFixed(1)} µs/${unit} wall, ${cpuUs.toFixed(1)} µs/${unit} CPU`);
  await db.close();
}

await run("RESP SET", respSet);
await run("protobuf put", put);
if (BATCH > 1) await run(`RESP batch of ${BATCH} SETs`, respBatch, BATCH);
