/**
 * The memtable alone: point reads that hit (`Memtable.get`, then one byte of the value,
 * as a GET's reply copies it) and batch inserts (`addBatch`), on a memtable filled with
 * random keys shaped like the KV layer's (`0x04 key:NNNNNNNN 0x00`, 14 bytes) in batches
 * of `--batch` ops (1: single puts, the skiplist; 48: sorted runs). Prints mitata's
 * wall-clock numbers, then the calling thread's CPU time per operation over `--rounds`
 * rounds (median, min, max; /proc, Linux), which a busy machine skews far less.
 *
 *   deno run -A bench/memtable_bench.ts [--entries 200000] [--batch 1] [--value 32]
 *   bun bench/memtable_bench.ts ...
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { bench, do_not_optimize, run } from "mitata";
import { Memtable } from "../src/storage/memtable/memtable.ts";
import { encodeBatch, type EncodedBatch, type WriteOp } from "../src/storage/write_batch.ts";
import { createPrng } from "../src/util/prng.ts";
import { describeMachine } from "./machine.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    entries: { type: "string", default: "200000" },
    batch: { type: "string", default: "1" },
    value: { type: "string", default: "32" },
    rounds: { type: "string", default: "15" },
    only: { type: "string", default: "" },
  },
});
const ENTRIES = Number(args.entries), BATCH = Number(args.batch), VALUE = Number(args.value);
const ROUNDS = Number(args.rounds);
/** Gets per measured call (so a call is long enough to time). */
const GETS = 1024;

const prng = createPrng(7);
const enc = new TextEncoder();
function keyOf(i: number): Uint8Array {
  const s = enc.encode(`key:${String(i).padStart(8, "0")}`);
  const k = new Uint8Array(s.length + 2);
  k[0] = 4;
  k.set(s, 1);
  return k;
}
const order = Array.from({ length: ENTRIES }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = prng.int(i + 1);
  [order[i], order[j]] = [order[j], order[i]];
}
const keys = order.map(keyOf);
const opLists: WriteOp[][] = [];
for (let i = 0; i < ENTRIES; i += BATCH) {
  const ops: WriteOp[] = [];
  for (let j = i; j < Math.min(ENTRIES, i + BATCH); j++) {
    ops.push({ type: "put", key: keys[j], value: prng.fill(new Uint8Array(VALUE)) });
  }
  opLists.push(ops);
}
const batches: EncodedBatch[] = opLists.map(encodeBatch);

function fill(): Memtable {
  const m = new Memtable(createPrng(1), 0);
  let seq = 1;
  for (const b of batches) {
    m.addBatch(b, seq);
    seq += b.count;
  }
  return m;
}

const want = (name: string) => args.only === "" || args.only.split(",").includes(name);
/** The memtable gets read (empty unless they run: a fill alone then has a small heap). */
const mem = want("get") ? fill() : new Memtable(createPrng(1), 0);
// Probes in an order unrelated to the fill's.
const probes = keys.slice();
for (let i = probes.length - 1; i > 0; i--) {
  const j = prng.int(i + 1);
  [probes[i], probes[j]] = [probes[j], probes[i]];
}
// Each probe is copied into one reused key buffer first, as a server parses a request into
// its own (hot) buffer: the bench then measures the memtable's memory accesses, not the probes'.
const KEY_BYTES = keys[0].length;
const flat = new Uint8Array(probes.length * KEY_BYTES);
probes.forEach((k, i) => flat.set(k, i * KEY_BYTES));
const probe = new Uint8Array(KEY_BYTES);
let at = 0;
function gets(): number {
  let sum = 0;
  for (let i = 0; i < GETS; i++) {
    for (let b = 0, o = at * KEY_BYTES; b < KEY_BYTES; b++) probe[b] = flat[o + b];
    const n = mem.get(probe, Number.MAX_SAFE_INTEGER);
    if (++at === probes.length) at = 0;
    if (n === undefined) throw new Error("memtable bench: a written key is missing");
    sum += n.buf[n.voff];
  }
  return sum;
}
/**
 * A fill of a tenth of the entries into a fresh memtable, each batch encoded in the call
 * (as a write does: a batch's payload is a new buffer, whose life the memtable decides).
 */
const FILL_BATCHES = Math.max(1, Math.floor(batches.length / 10));
function fillSome(): Memtable {
  const m = new Memtable(createPrng(1), 0);
  let seq = 1;
  for (let i = 0; i < FILL_BATCHES; i++) {
    const b = encodeBatch(opLists[i]);
    m.addBatch(b, seq);
    seq += b.count;
  }
  return m;
}
const fillEntries = batches.slice(0, FILL_BATCHES).reduce((s, b) => s + b.count, 0);

/** CPU ms so far of the calling thread (utime + stime, Linux). */
function threadCpuMs(): number {
  const pid = process.pid;
  const f = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
}

/** CPU ns per op of `call` (doing `ops` ops) over ROUNDS rounds of ≥ 300 ms of calls. */
function cpuRounds(ops: number, call: () => unknown): string {
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = threadCpuMs(), t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 300 || threadCpuMs() - c0 < 200) {
      do_not_optimize(call());
      calls++;
    }
    per.push((threadCpuMs() - c0) * 1e6 / (calls * ops));
  }
  per.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0);
  return `median ${f(per[per.length >> 1])} ns/op (min ${f(per[0])}, max ${f(per.at(-1) ?? 0)})`;
}

console.log(describeMachine());
console.log(`entries ${ENTRIES}, ${BATCH} op(s) per batch, ${VALUE} B values`);
if (want("get")) bench(`get hit ×${GETS}`, () => do_not_optimize(gets()));
if (want("fill")) {
  bench(`encode + addBatch, ${fillEntries} entries`, () => do_not_optimize(fillSome()));
}
await run();
if (want("get")) console.log(`CPU, get hit: ${cpuRounds(GETS, gets)}`);
if (want("fill")) {
  console.log(`CPU, encode + addBatch per entry: ${cpuRounds(fillEntries, fillSome)}`);
}
