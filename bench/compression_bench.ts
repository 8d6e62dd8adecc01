/**
 * SSTable block compression, measured (docs/decisions/0016-block-compression.md):
 *
 *   deno run -A bench/compression_bench.ts [--num 200000] [--values compressible,random]
 *   bun bench/compression_bench.ts ...
 *
 * For each value shape, `compression: "none"` and `"lz4"` take turns (none, lz4, none,
 * lz4: two rounds each, medians printed) on fresh databases: batches of 1,000 random
 * 16-byte keys with 100-byte values, a 4 MiB memtable (`--memtable-mib`) and default
 * options otherwise (sync `always`, 64 MiB block cache); then, after a reopen: random gets, seek + next×100, a full scan, and
 * random gets with no block cache (every get reads and decodes a block). Reported: the
 * table bytes on disk, write amplification (bytes the process wrote, from
 * /proc/self/io, over the user bytes; and the compactions' bytes written), and CPU
 * microseconds per operation (steadier than wall time on a shared machine).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { openDb } from "../mod.ts";
import { createPrng } from "../src/util/prng.ts";
import { makeValues, type ValueShape } from "./bench_values.ts";
import { describeMachine } from "./machine.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    num: { type: "string", default: "200000" },
    values: { type: "string", default: "compressible,random" },
    rounds: { type: "string", default: "2" },
    "memtable-mib": { type: "string", default: "4" },
  },
});
const NUM = Number(args.num);
/** LevelDB's default write buffer: a few flushes and compactions even at 200k keys. */
const MEMTABLE = Number(args["memtable-mib"]) * 2 ** 20;
const KEY = 16, VALUE = 100;
const enc = new TextEncoder();
const keyOf = (i: number) => enc.encode(String(i).padStart(KEY, "0"));

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
/** Bytes this process has passed to write(2) and friends (Linux), or NaN. */
function wchar(): number {
  try {
    const m = /wchar: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"));
    return m === null ? NaN : Number(m[1]);
  } catch {
    return NaN;
  }
}
function tableBytes(dir: string): number {
  return readdirSync(dir).filter((n) => n.endsWith(".sst"))
    .reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
}

interface Result {
  tableMiB: number;
  writeAmp: number;
  compactionMiB: number;
  fillUs: number;
  getUs: number;
  seekUs: number;
  scanUs: number;
  getNoCacheUs: number;
}

async function cpuPerOp(ops: number, body: () => Promise<void> | void): Promise<number> {
  const t0 = cpuUs();
  await body();
  return (cpuUs() - t0) / ops;
}

async function one(shape: ValueShape, compression: "none" | "lz4", dir: string): Promise<Result> {
  const prng = createPrng(16);
  const valueAt = makeValues(shape, prng, VALUE);
  const keys = Array.from({ length: NUM }, () => prng.int(NUM));
  let db = await openDb(dir, { compression, memtableBytes: MEMTABLE });
  const w0 = wchar();
  const fillUs = await cpuPerOp(NUM, async () => {
    for (let i = 0; i < NUM; i += 1000) {
      const ops = [];
      for (let j = i; j < i + 1000 && j < NUM; j++) {
        ops.push({ type: "put" as const, key: keyOf(keys[j]), value: valueAt(j) });
      }
      await db.write(ops);
    }
    await db.flush();
  });
  const stats = db.stats();
  await db.close();
  const writeAmp = (wchar() - w0) / (NUM * (KEY + VALUE));
  const reads = Math.min(NUM, 100_000);
  db = await openDb(dir, { compression });
  const getUs = await cpuPerOp(reads, () => {
    for (let i = 0; i < reads; i++) if (db.get(keyOf(keys[i])) === undefined) throw new Error();
  });
  const seeks = Math.max(100, Math.floor(reads / 100));
  const seekUs = await cpuPerOp(seeks, async () => {
    for (let i = 0; i < seeks; i++) {
      for await (const _ of db.scan({ start: keyOf(keys[i]), limit: 100 })) { /* next */ }
    }
  });
  let scanned = 0;
  const scanUs = await cpuPerOp(1, async () => {
    for await (const chunk of db.scanChunks({}, 256)) scanned += chunk.length;
  }) / Math.max(1, scanned);
  await db.close();
  db = await openDb(dir, { compression, blockCacheBytes: 0 });
  const getNoCacheUs = await cpuPerOp(reads / 4, () => {
    for (let i = 0; i < reads / 4; i++) db.get(keyOf(keys[i]));
  });
  await db.close();
  return {
    tableMiB: tableBytes(dir) / 2 ** 20,
    writeAmp,
    compactionMiB: stats.compactionBytesWritten / 2 ** 20,
    fillUs,
    getUs,
    seekUs,
    scanUs,
    getNoCacheUs,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const root = mkdtempSync(join(os.tmpdir(), "tinykv-compression-"));
try {
  console.log(describeMachine());
  console.log(
    `num=${NUM}, key ${KEY} B, value ${VALUE} B, batches of 1,000 random keys, ` +
      `memtable ${args["memtable-mib"]} MiB`,
  );
  console.log(
    "| values | compression | tables MiB | write amp | compaction MiB written | " +
      "fill µs/put | get µs | seek+100 µs | scan µs/key | get, no cache µs |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  let n = 0;
  for (const shape of args.values.split(",") as ValueShape[]) {
    const runs: Record<string, Result[]> = { none: [], lz4: [] };
    for (let r = 0; r < Number(args.rounds); r++) {
      for (const c of ["none", "lz4"] as const) {
        const dir = join(root, `db${n++}`);
        runs[c].push(await one(shape, c, dir));
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const c of ["none", "lz4"] as const) {
      const m = (f: (r: Result) => number, digits = 2) => median(runs[c].map(f)).toFixed(digits);
      console.log(
        `| ${shape} | ${c} | ${m((r) => r.tableMiB, 1)} | ${m((r) => r.writeAmp)} | ` +
          `${m((r) => r.compactionMiB, 1)} | ${m((r) => r.fillUs)} | ${m((r) => r.getUs)} | ` +
          `${m((r) => r.seekUs, 1)} | ${m((r) => r.scanUs, 3)} | ${m((r) => r.getNoCacheUs)} |`,
      );
    }
  }
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
