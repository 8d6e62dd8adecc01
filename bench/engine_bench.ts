/**
 * db_bench-style comparison of TinyKV's storage engine with LevelDB (through
 * classic-level), side by side in the same process and runtime:
 *
 *   deno run -A bench/engine_bench.ts [--num 1000000] [--markdown]
 *   bun bench/engine_bench.ts [--num 1000000] [--markdown] [--worker] [--only a,b]
 *     [--values random|compressible] [--compression none|lz4] [--cpu]
 *
 * 16-byte keys ("%016d"), 100-byte random values (`--values compressible`: JSON-like
 * records, bench/bench_values.ts). `--compression` sets TinyKV's block compression
 * (default: the engine's default); LevelDB keeps its default (Snappy). Each engine gets the same
 * memory budget (64 MiB write buffer, 64 MiB block cache) and the same
 * calling pattern a JS user would write: one awaited call per operation
 * (TinyKV's get is synchronous; awaiting it costs the same microtask).
 * `--cpu` (Linux) also prints each phase's CPU time per operation: the calling thread's and the
 * whole process's (LevelDB works in its own threads), steadier than throughput on a busy machine.
 */
import { ClassicLevel } from "classic-level";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { type Db, openDb, type WriteOp } from "../mod.ts";
import { createPrng } from "../src/util/prng.ts";
import { makeValues, type ValueShape } from "./bench_values.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    num: { type: "string", default: "1000000" },
    markdown: { type: "boolean", default: false },
    only: { type: "string" },
    values: { type: "string", default: "random" },
    compression: { type: "string" },
    // TinyKV flushes and compacts in its background worker (docs/storage.md#background-worker).
    worker: { type: "boolean", default: false },
    cpu: { type: "boolean", default: false },
  },
});
const SHAPE = args.values as ValueShape;
const COMPRESSION = args.compression as "none" | "lz4" | undefined;
const NUM = Number(args.num);
const SYNC_NUM = Math.max(1000, Math.floor(NUM / 1000));
const MEM = 64 * 1024 * 1024;
type Level = ClassicLevel<Uint8Array, Uint8Array>;

const enc = new TextEncoder();
function keyOf(i: number): Uint8Array {
  return enc.encode(String(i).padStart(16, "0"));
}
const prng = createPrng(301);
const valueOf = makeValues(SHAPE, prng, 100);
const randomKeys = (n: number, range: number) =>
  Array.from({ length: n }, () => keyOf(prng.int(range)));

const root = mkdtempSync(join(os.tmpdir(), "tinykv-bench-"));
let dirs = 0;
const freshDir = () => join(root, `db${dirs++}`);

async function openTiny(sync: "always" | "none" = "none"): Promise<Db> {
  const compression = COMPRESSION;
  return await openDb(freshDir(), {
    sync,
    memtableBytes: MEM,
    blockCacheBytes: MEM,
    compression,
    backgroundWorker: args.worker,
  });
}
async function openLevel(): Promise<Level> {
  const db: Level = new ClassicLevel(freshDir(), {
    keyEncoding: "view",
    valueEncoding: "view",
    writeBufferSize: MEM,
    cacheSize: MEM,
  });
  await db.open();
  return db;
}

interface Engine {
  put(k: Uint8Array, v: Uint8Array): Promise<void>;
  putSync(k: Uint8Array, v: Uint8Array): Promise<void>;
  get(k: Uint8Array): Promise<Uint8Array | undefined>;
  batch(ops: { key: Uint8Array; value: Uint8Array }[]): Promise<void>;
  seek(k: Uint8Array, n: number): Promise<number>;
  /** Reads every entry in key order; returns how many. */
  scanAll(): Promise<number>;
  /** The same in chunks of 256 (TinyKV scanChunks, classic-level iterator.nextv). */
  scanChunked(): Promise<number>;
  close(): Promise<void>;
}

function tinyEngine(db: Db): Engine {
  return {
    put: (k, v) => db.put(k, v),
    putSync: (k, v) => db.put(k, v),
    get: (k) => Promise.resolve(db.get(k)),
    batch: (ops) =>
      db.write(ops.map((o): WriteOp => ({ type: "put", key: o.key, value: o.value }))),
    seek: async (k, n) => {
      let c = 0;
      for await (const _ of db.scan({ start: k, limit: n })) c++;
      return c;
    },
    scanAll: async () => {
      let c = 0;
      for await (const _ of db.scan()) c++;
      return c;
    },
    scanChunked: async () => {
      let c = 0;
      for await (const chunk of db.scanChunks({}, 256)) c += chunk.length;
      return c;
    },
    close: () => db.close(),
  };
}

function levelEngine(db: Level, syncBatches = false): Engine {
  const batchOptions = { sync: syncBatches };
  return {
    put: (k, v) => db.put(k, v),
    putSync: (k, v) => db.put(k, v, { sync: true }),
    get: (k) => db.get(k),
    batch: (ops) =>
      db.batch(
        ops.map((o) => ({ type: "put" as const, key: o.key, value: o.value })),
        batchOptions,
      ),
    seek: async (k, n) => {
      let c = 0;
      for await (const _ of db.iterator({ gte: k, limit: n })) c++;
      return c;
    },
    scanAll: async () => {
      let c = 0;
      for await (const _ of db.iterator()) c++;
      return c;
    },
    scanChunked: async () => {
      let c = 0;
      const it = db.iterator();
      for (;;) {
        const chunk = await it.nextv(256);
        if (chunk.length === 0) break;
        c += chunk.length;
      }
      await it.close();
      return c;
    },
    close: () => db.close(),
  };
}

type Phase = (e: Engine) => Promise<number>; // returns operations done

const fill = (keys: (i: number) => Uint8Array, n: number, sync = false): Phase => async (e) => {
  for (let i = 0; i < n; i++) {
    await (sync ? e.putSync(keys(i), valueOf(i)) : e.put(keys(i), valueOf(i)));
  }
  return n;
};

/** CPU ms so far of [the calling thread, the whole process] (utime + stime, Linux). */
function cpuMs(): [number, number] {
  const ticks = (path: string) => {
    const f = readFileSync(path, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
  };
  const pid = process.pid;
  return [ticks(`/proc/${pid}/task/${pid}/stat`), ticks(`/proc/${pid}/stat`)];
}

/** Per phase, in run order: "thread / process µs per op" (with --cpu). */
const cpuNotes: string[] = [];

async function timed(phase: Phase, e: Engine): Promise<number> {
  const c0 = args.cpu ? cpuMs() : [0, 0];
  const t0 = performance.now();
  const ops = await phase(e);
  const rate = ops / ((performance.now() - t0) / 1000);
  if (args.cpu) {
    const c1 = cpuMs();
    const us = (i: number) => ((c1[i] - c0[i]) * 1000 / ops).toFixed(2);
    cpuNotes.push(`${us(0)} / ${us(1)}`);
  }
  return rate;
}

interface Row {
  name: string;
  tiny: number;
  level: number;
  /** With --cpu: "TinyKV thread / process µs per op; LevelDB thread / process". */
  cpu?: string;
}

async function bothFresh(name: string, phase: Phase, sync = false): Promise<Row> {
  const t = await openTiny(sync ? "always" : "none");
  const tiny = await timed(phase, tinyEngine(t));
  await t.close();
  const l = await openLevel();
  const level = await timed(phase, levelEngine(l));
  await l.close();
  return { name, tiny, level };
}

async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  const want = (n: string) => args.only === undefined || args.only.split(",").includes(n);
  if (want("fillseq")) rows.push(await bothFresh("fillseq", fill(keyOf, NUM)));
  if (want("fillrandom") || want("overwrite")) {
    const keysA = randomKeys(NUM, NUM), keysB = randomKeys(NUM, NUM);
    const t = await openTiny(), l = await openLevel();
    const [te, le] = [tinyEngine(t), levelEngine(l)];
    rows.push({
      name: "fillrandom",
      tiny: await timed(fill((i) => keysA[i], NUM), te),
      level: await timed(fill((i) => keysA[i], NUM), le),
    });
    rows.push({
      name: "overwrite",
      tiny: await timed(fill((i) => keysB[i], NUM), te),
      level: await timed(fill((i) => keysB[i], NUM), le),
    });
    await t.close();
    await l.close();
  }
  rows.push(...await reads(want));
  if (want("fillsync")) rows.push(await fillSync());
  if (want("fillbatch")) {
    rows.push(
      await bothFresh("fillbatch 100/batch", async (e) => {
        for (let i = 0; i < NUM; i += 100) {
          const ops = [];
          for (let j = i; j < i + 100 && j < NUM; j++) {
            ops.push({ key: keyOf(j), value: valueOf(j) });
          }
          await e.batch(ops);
        }
        return NUM;
      }),
    );
  }
  if (want("fillbatchrandom")) rows.push(...await batchRandomThenScan("matched"));
  if (want("fillbatchdefaults")) rows.push(...await batchRandomThenScan("defaults"));
  if (want("fillbatchnosync")) rows.push(...await batchRandomThenScan("defaults, both no sync"));
  if (want("fillbatchsync")) rows.push(...await batchRandomThenScan("defaults, both sync"));
  return rows;
}

/**
 * How batchRandomThenScan opens the two engines. `matched`: the options of every other row
 * (both no sync, 64 MiB write buffer and cache). `defaults`: each engine's defaults (TinyKV:
 * sync `always`, one fdatasync per batch; LevelDB: no sync, 4 MiB write buffer, 8 MiB cache).
 * The last two keep the defaults but make durability alike: TinyKV sync `none`, or LevelDB
 * `{ sync: true }` on every batch.
 */
type BatchMode = "matched" | "defaults" | "defaults, both no sync" | "defaults, both sync";

async function openForBatches(mode: BatchMode): Promise<[Engine, Engine]> {
  const tinyDefaults = (sync?: "none") =>
    openDb(freshDir(), { compression: COMPRESSION, sync, backgroundWorker: args.worker });
  const t = mode === "matched"
    ? await openTiny()
    : await tinyDefaults(mode === "defaults, both no sync" ? "none" : undefined);
  const view = { keyEncoding: "view", valueEncoding: "view" } as const;
  const l: Level = mode === "matched" ? await openLevel() : new ClassicLevel(freshDir(), view);
  await l.open();
  return [tinyEngine(t), levelEngine(l, mode === "defaults, both sync")];
}

/**
 * Batches of 1,000 random keys into fresh databases, then full scans of the result right
 * after the fill (one per entry, then in chunks); `mode` picks the options (BatchMode).
 */
async function batchRandomThenScan(mode: BatchMode): Promise<Row[]> {
  const keys = randomKeys(NUM, NUM);
  const phase: Phase = async (e) => {
    for (let i = 0; i < NUM; i += 1000) {
      const ops = [];
      for (let j = i; j < i + 1000 && j < NUM; j++) ops.push({ key: keys[j], value: valueOf(j) });
      await e.batch(ops);
    }
    return NUM;
  };
  const run = async (e: Engine) => [
    await timed(phase, e),
    await timed((e) => e.scanAll(), e),
    await timed((e) => e.scanChunked(), e),
  ];
  const [te, le] = await openForBatches(mode);
  cpuNotes.length = 0;
  const tiny = await run(te);
  const tinyCpu = cpuNotes.splice(0);
  await te.close();
  const level = await run(le);
  const levelCpu = cpuNotes.splice(0);
  await le.close();
  const tag = mode === "matched" ? "" : ` (${mode === "defaults" ? "default options" : mode})`;
  return ["fillbatch 1000 random", "  scan all after it", "  scan all, chunks of 256"].map((
    name,
    i,
  ) => ({
    name: name + tag,
    tiny: tiny[i],
    level: level[i],
    cpu: args.cpu ? `cpu µs/op ${tinyCpu[i]} vs ${levelCpu[i]}` : undefined,
  }));
}

/**
 * fsync-bound, and the disk's fsync rate drifts from second to second, so the two
 * engines take turns: 10 rounds of SYNC_NUM/10 writes each, times summed per engine.
 */
async function fillSync(): Promise<Row> {
  const t = await openTiny("always"), l = await openLevel();
  const [te, le] = [tinyEngine(t), levelEngine(l)];
  const per = Math.ceil(SYNC_NUM / 10);
  let tMs = 0, lMs = 0;
  for (let r = 0; r < 10; r++) {
    const phase = fill(() => keyOf(prng.int(NUM)), per, true);
    let t0 = performance.now();
    await phase(te);
    tMs += performance.now() - t0;
    t0 = performance.now();
    await phase(le);
    lMs += performance.now() - t0;
  }
  await t.close();
  await l.close();
  const ops = per * 10;
  return { name: `fillrandom sync (${ops})`, tiny: ops / (tMs / 1000), level: ops / (lMs / 1000) };
}

async function reads(want: (n: string) => boolean): Promise<Row[]> {
  if (!want("readrandom") && !want("readmissing") && !want("seekrandom")) return [];
  const t = await openTiny(), l = await openLevel();
  const [te, le] = [tinyEngine(t), levelEngine(l)];
  await fill(keyOf, NUM)(te);
  await fill(keyOf, NUM)(le);
  const rows: Row[] = [];
  const hits = randomKeys(NUM, NUM);
  const misses = Array.from(
    { length: NUM },
    () => enc.encode(`${String(prng.int(NUM)).padStart(16, "0")}x`),
  );
  const get = (keys: Uint8Array[], expect: boolean): Phase => async (e) => {
    let found = 0;
    for (const k of keys) if ((await e.get(k)) !== undefined) found++;
    if ((found === keys.length) !== expect && (found === 0) === expect) {
      throw new Error("bad reads");
    }
    return keys.length;
  };
  if (want("readrandom")) {
    rows.push({
      name: "readrandom (hits)",
      tiny: await timed(get(hits, true), te),
      level: await timed(get(hits, true), le),
    });
  }
  if (want("readmissing")) {
    rows.push({
      name: "readrandom (misses)",
      tiny: await timed(get(misses, false), te),
      level: await timed(get(misses, false), le),
    });
  }
  if (want("seekrandom")) {
    const seeks = randomKeys(Math.max(1000, Math.floor(NUM / 100)), NUM);
    const seek: Phase = async (e) => {
      for (const k of seeks) await e.seek(k, 100);
      return seeks.length;
    };
    rows.push({
      name: "seekrandom + next×100",
      tiny: await timed(seek, te),
      level: await timed(seek, le),
    });
  }
  await t.close();
  await l.close();
  return rows;
}

function describe(): string {
  const v = process.versions as Record<string, string | undefined>;
  const runtime = v.deno !== undefined ? `Deno ${v.deno} (V8 ${v.v8})` : `Bun ${v.bun}`;
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  const host = `${cpu} × ${os.cpus().length} · ${gib} GiB RAM · ${os.type()} ${os.release()}`;
  return `${runtime} · ${host} · ` +
    `num=${NUM}, key 16 B, value 100 B ${SHAPE}, compression ${COMPRESSION ?? "default"}, ` +
    `classic-level 3.0.0, TinyKV storage worker ${args.worker ? "on" : "off"}`;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
try {
  const rows = await run();
  console.log(describe());
  if (args.markdown) {
    console.log("| benchmark | TinyKV ops/s | classic-level ops/s | TinyKV / LevelDB |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${fmt(r.tiny)} | ${fmt(r.level)} | ${(r.tiny / r.level).toFixed(2)}× |`,
      );
    }
  } else {
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(26)} tinykv ${fmt(r.tiny).padStart(11)}  leveldb ${
          fmt(r.level).padStart(11)
        }  ratio ${(r.tiny / r.level).toFixed(2)}${r.cpu === undefined ? "" : `  ${r.cpu}`}`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
