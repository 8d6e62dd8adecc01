/**
 * The multi-region Raft log (src/raft/multi_log_store.ts) on the real file
 * system: 1, 100 and 10,000 regions, each appending small entries every
 * round, one `save` (one fsync) per round; rounds/s, entries/s, CPU time per
 * round, and heap per region. For comparison, the same rounds on one
 * single-group `LogStore` per region (one fsync per region per round), which
 * is what per-region logs would cost (1 and 100 regions only: 10,000 would
 * be 10,000 files).
 *
 *   bun bench/multi_log_bench.ts [--seconds 3] [--entries 1] [--bytes 64]
 *   deno run -A --v8-flags=--expose-gc bench/multi_log_bench.ts
 *
 * Results with the machine described go to bench/RESULTS.md.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { getPlatform } from "../src/platform/detect.ts";
import type { FileSystem } from "../src/platform/types.ts";
import { type Entry, EntryType } from "../src/raft/core/messages.ts";
import { LogStore, type PersistRequest } from "../src/raft/log_store.ts";
import { MultiLogStore } from "../src/raft/multi_log_store.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    entries: { type: "string", default: "1" },
    bytes: { type: "string", default: "64" },
    regions: { type: "string", default: "1,100,10000" },
  },
});
const SECONDS = Number(values.seconds);
const PER_ROUND = Number(values.entries);
const DATA = new Uint8Array(Number(values.bytes)).fill(7);
const REGIONS = values.regions.split(",").map(Number);
/** Each region compacts after this many rounds (the driver would, by applied bytes). */
const COMPACT_EVERY = 64;
const CS = { voters: [1], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };

const platform = getPlatform();
const fs: FileSystem = platform.fs;
const gc = platform.collectGarbage ?? (globalThis as { gc?: () => void }).gc;

function bootstrap(): PersistRequest {
  return {
    hardState: { term: 1, vote: 1, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState: CS }, data: new Uint8Array(0) },
    mustSync: true,
  };
}

function round(last: number): PersistRequest {
  const entries: Entry[] = [];
  for (let i = 1; i <= PER_ROUND; i++) {
    entries.push({ term: 1, index: last + i, type: EntryType.Normal, data: DATA });
  }
  const hardState = { term: 1, vote: 1, commit: last + PER_ROUND };
  return { hardState, entries, snapshot: undefined, mustSync: true };
}

interface Result {
  rounds: number;
  seconds: number;
  cpuMs: number;
}

/** Runs rounds until SECONDS pass; `step(r)` persists round r for every region. */
async function timed(step: (r: number) => Promise<void>): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rounds = 0;
  while (performance.now() - t0 < SECONDS * 1000 && rounds < 1_000_000) await step(rounds++);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rounds, seconds, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function row(what: string, n: number, r: Result): string {
  const entries = r.rounds * n * PER_ROUND;
  return `| ${what} | ${n} | ${(r.rounds / r.seconds).toFixed(0)} | ` +
    `${(entries / r.seconds).toFixed(0)} | ${(r.cpuMs / r.rounds).toFixed(3)} |`;
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function multi(n: number): Promise<string[]> {
  const dir = makeTempDir("tinykv-multilog-bench-");
  const heap0 = heapUsed();
  const store = await MultiLogStore.open(fs, dir);
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  await store.save(new Map(ids.map((id) => [id, bootstrap()])));
  const heapIdle = heapUsed();
  let last = 1;
  const result = await timed(async (r) => {
    await store.save(new Map(ids.map((id) => [id, round(last)])));
    last += PER_ROUND;
    if (r % COMPACT_EVERY === COMPACT_EVERY - 1) {
      await store.compact(new Map(ids.map((id) => [id, { index: last - 16, confState: CS }])));
    }
  });
  const heapBusy = heapUsed();
  store.close();
  removeTempDir(dir);
  const perIdle = (heapIdle - heap0) / n;
  const perBusy = (heapBusy - heap0) / n;
  return [
    row("one shared log", n, result),
    `heap per region (${n}): ${perIdle.toFixed(0)} B bootstrapped, ${perBusy.toFixed(0)} B with ` +
    `${16}-${16 + COMPACT_EVERY * PER_ROUND} live entries of ${DATA.length} B`,
  ];
}

async function perRegionLogs(n: number): Promise<string> {
  const dir = makeTempDir("tinykv-multilog-bench-");
  const stores: LogStore[] = [];
  for (let i = 0; i < n; i++) {
    const s = await LogStore.open(fs, `${dir}/r${i}`);
    await s.save(bootstrap());
    stores.push(s);
  }
  let last = 1;
  const result = await timed(async () => {
    await Promise.all(stores.map((s) => s.save(round(last))));
    last += PER_ROUND;
  });
  for (const s of stores) s.close();
  removeTempDir(dir);
  return row("a LogStore per region", n, result);
}

console.log(describeMachine());
console.log(
  `${PER_ROUND} entr${
    PER_ROUND === 1 ? "y" : "ies"
  } of ${DATA.length} B per region per round, ${SECONDS} s per row`,
);
console.log("| log | regions | rounds/s | entries/s | CPU ms/round |");
console.log("| --- | ---: | ---: | ---: | ---: |");
const notes: string[] = [];
for (const n of REGIONS) {
  const [line, heap] = await multi(n);
  console.log(line);
  // Below a thousand regions the store's own buffers (the zeros written ahead) drown the figure.
  if (n >= 1000) notes.push(heap);
  if (n <= 100) console.log(await perRegionLogs(n));
}
for (const note of notes) console.log(note);
