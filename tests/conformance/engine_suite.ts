/**
 * Model-based randomized test of the storage engine: random put / delete /
 * batch / get / scan / snapshot / flush / compact / close-reopen sequences
 * under the simulated platform, each result compared with an in-memory
 * sorted map. One seed fixes the whole run; a failure names its seed and
 * the command that replays it.
 */
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db, type DbOptions, type Snapshot, type WriteOp } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import type { Prng } from "../../src/util/prng.ts";

type Model = Map<string, string>;

interface Run {
  readonly prng: Prng;
  db: Db;
  model: Model;
  snaps: { snap: Snapshot; model: Model }[];
  log: string[];
}

function randomOptions(p: Prng): DbOptions {
  const sync = (["always", "batched", "none"] as const)[p.int(3)];
  return {
    sync,
    wal: p.chance(0.85),
    memtableBytes: p.range(4096, 32768),
    tableFileBytes: p.range(1024, 8192),
    level1Bytes: p.range(4096, 32768),
    blockCacheBytes: p.chance(0.2) ? 0 : p.range(4096, 65536),
    maxOpenTables: p.chance(0.3) ? p.range(1, 4) : undefined,
    seed: p.nextU32(),
    compression: p.chance(0.3) ? "none" : "lz4",
    blobMinBytes: p.chance(0.4) ? p.range(32, 300) : 0,
  };
}

function randomKey(p: Prng): string {
  const n = p.int(p.chance(0.5) ? 40 : 400);
  return p.chance(0.1) ? `k${n}/${"x".repeat(p.int(50))}` : `k${n.toString(36)}`;
}

function randomValue(p: Prng): string {
  const len = p.chance(0.02) ? p.range(3000, 9000) : p.int(60);
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(97 + p.int(26));
  return s;
}

function sortedEntries(m: Model): [string, string][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function expectScan(m: Model, o: ScanSpec): [string, string][] {
  let e = sortedEntries(m);
  if (o.prefix !== undefined) e = e.filter(([k]) => k.startsWith(o.prefix ?? ""));
  if (o.start !== undefined) e = e.filter(([k]) => k >= (o.start ?? ""));
  if (o.end !== undefined) e = e.filter(([k]) => k < (o.end ?? ""));
  if (o.reverse) e.reverse();
  return o.limit === undefined ? e : e.slice(0, o.limit);
}

interface ScanSpec {
  prefix?: string;
  start?: string;
  end?: string;
  limit?: number;
  reverse?: boolean;
}

function randomScan(p: Prng): ScanSpec {
  const o: ScanSpec = { reverse: p.chance(0.4) };
  if (p.chance(0.3)) o.prefix = `k${p.int(10).toString(36)}`;
  if (p.chance(0.4)) o.start = randomKey(p);
  if (p.chance(0.4)) o.end = randomKey(p);
  if (p.chance(0.5)) o.limit = p.int(30);
  return o;
}

async function scanOf(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of it) out.push([fromUtf8(k), fromUtf8(v)]);
  return out;
}

async function writes(r: Run): Promise<void> {
  const p = r.prng;
  const n = p.chance(0.3) ? p.range(2, 6) : 1; // concurrent writers share a group commit
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const roll = p.int(10);
    if (roll < 6) {
      const k = randomKey(p), v = randomValue(p);
      r.model.set(k, v);
      pending.push(r.db.put(k, v));
    } else if (roll < 8) {
      const k = randomKey(p);
      r.model.delete(k);
      pending.push(r.db.delete(k));
    } else {
      const ops: WriteOp[] = [];
      // Batches of 16 ops or more go into the memtable as sorted runs (memtable/sorted_run.ts).
      for (let j = p.chance(0.25) ? p.range(16, 48) : p.range(1, 12); j > 0; j--) {
        const k = randomKey(p);
        if (p.chance(0.7)) {
          const v = randomValue(p);
          ops.push({ type: "put", key: k, value: v });
          r.model.set(k, v);
        } else {
          ops.push({ type: "del", key: k });
          r.model.delete(k);
        }
      }
      pending.push(r.db.write(ops));
    }
  }
  await Promise.all(pending);
}

async function step(r: Run, w: ReturnType<typeof createSimWorld>, opts: DbOptions): Promise<void> {
  const p = r.prng;
  const roll = p.int(100);
  if (roll < 55) {
    r.log.push("write");
    await writes(r);
  } else if (roll < 72) {
    const k = randomKey(p);
    r.log.push(`get ${k}`);
    const got = r.db.get(k);
    assert.equal(got === undefined ? undefined : fromUtf8(got), r.model.get(k), `get ${k}`);
  } else if (roll < 80) {
    const o = randomScan(p);
    r.log.push(`scan ${JSON.stringify(o)}`);
    assert.deepEqual(await scanOf(r.db.scan(o)), expectScan(r.model, o), "scan");
  } else if (roll < 84) {
    r.log.push("snapshot");
    if (r.snaps.length < 4) r.snaps.push({ snap: r.db.snapshot(), model: new Map(r.model) });
  } else if (roll < 89 && r.snaps.length > 0) {
    const i = p.int(r.snaps.length);
    const { snap, model } = r.snaps[i];
    const o = randomScan(p);
    r.log.push(`snapshot read ${JSON.stringify(o)}`);
    const k = randomKey(p);
    const got = snap.get(k);
    assert.equal(got === undefined ? undefined : fromUtf8(got), model.get(k), `snapshot get ${k}`);
    assert.deepEqual(await scanOf(snap.scan(o)), expectScan(model, o), "snapshot scan");
    if (p.chance(0.3)) {
      snap.release();
      r.snaps.splice(i, 1);
    }
  } else if (roll < 93) {
    r.log.push("flush");
    await r.db.flush();
  } else if (roll < 95) {
    if (p.chance(0.5)) {
      r.log.push("compactRange");
      await r.db.compactRange();
    } else {
      const [a, b] = [randomKey(p), randomKey(p)].sort();
      r.log.push(`compactRange ${a} ${b}`);
      await r.db.compactRange(a, b);
    }
  } else if (roll < 98) {
    r.log.push("reopen");
    addTotals(r.db);
    await r.db.close();
    r.snaps = [];
    r.db = await Db.open(w.fs, "db", opts);
  } else {
    r.log.push("yield");
    for (let i = 0; i < p.int(50); i++) await Promise.resolve();
  }
}

/** Runs one seed; throws an Error naming the seed and its replay command on failure. */
export interface SeedTotals {
  flushes: number;
  compactions: number;
  trivialMoves: number;
  reopens: number;
}

export const totals: SeedTotals = { flushes: 0, compactions: 0, trivialMoves: 0, reopens: 0 };

function addTotals(db: Db): void {
  const st = db.stats();
  totals.flushes += st.flushes;
  totals.compactions += st.compactions;
  totals.trivialMoves += st.trivialMoves;
  totals.reopens++;
}

export async function runEngineSeed(seed: number, steps = 250): Promise<void> {
  const w = createSimWorld(seed, { trace: false });
  const opts = randomOptions(w.prng);
  const r: Run = {
    prng: w.prng,
    db: await Db.open(w.fs, "db", opts),
    model: new Map(),
    snaps: [],
    log: [],
  };
  try {
    for (let i = 0; i < steps; i++) await step(r, w, opts);
    assert.deepEqual(await scanOf(r.db.scan()), sortedEntries(r.model), "final scan");
    addTotals(r.db);
    await r.db.close();
    r.db = await Db.open(w.fs, "db", opts);
    assert.deepEqual(await scanOf(r.db.scan()), sortedEntries(r.model), "scan after reopen");
    await r.db.close();
  } catch (err) {
    const last = r.log.slice(-5).join("; ");
    throw new Error(
      `engine seed ${seed} failed (${JSON.stringify(opts)}) after [${last}]: ` +
        `${err instanceof Error ? err.stack ?? err.message : String(err)}\n` +
        `replay: deno run -A tests/storage/run_seeds.ts --seed ${seed}`,
    );
  }
}
