/**
 * Crash test: a random workload runs on a file system that dies at a random
 * mutating call (mid-WAL append, mid-flush, mid-compaction, mid-manifest or
 * CURRENT switch, mid-recovery), losing un-synced data or tearing the last
 * write. After reopening, the database must equal the model after some prefix
 * of the committed batches that includes every batch acknowledged under
 * sync "always": nothing acknowledged is lost, no deleted key returns, and
 * nothing never written appears.
 */
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db, type DbOptions, type WriteOp } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import type { Prng } from "../../src/util/prng.ts";
import { CrashFs } from "./crash_fs.ts";

/** How often each kind of file was being changed when the crash hit. */
export const crashPhases = new Map<string, number>();

interface Batch {
  readonly ops: readonly WriteOp[];
  acked: boolean;
}

/** Which engine activity the crash interrupted, from the file and the stack. */
function phaseOf(what: string, stack: string): string {
  if (what === "end") return "after workload";
  if (stack.includes("writeCurrent")) return "CURRENT switch";
  if (stack.includes("writeNewManifest")) return "new manifest";
  if (stack.includes("runCompaction") || stack.includes("mergeInto")) return "compaction";
  if (stack.includes("openState") || stack.includes("replayWal")) return "recovery";
  if (stack.includes("flushImmutable")) return "flush";
  if (what.includes("MANIFEST")) return "manifest edit";
  if (what.includes(".log")) return "wal";
  if (what.includes(".sst")) return "table";
  return "other";
}

function randomBatch(p: Prng): WriteOp[] {
  const ops: WriteOp[] = [];
  for (let n = p.chance(0.7) ? 1 : p.range(2, 8); n > 0; n--) {
    const key = `k${p.int(120)}`;
    // Some values long enough for blob files (under blobMinBytes 32, below).
    const value = `${key}=${p.nextU32()}`.padEnd(p.chance(0.5) ? p.range(32, 90) : 0, ".");
    if (p.chance(0.75)) ops.push({ type: "put", key, value });
    else ops.push({ type: "del", key });
  }
  return ops;
}

function serialize(m: Map<string, string>): string {
  return JSON.stringify([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

async function workload(cfs: CrashFs, opts: DbOptions, p: Prng, history: Batch[]): Promise<void> {
  let db = await Db.open(cfs, "db", opts);
  for (let round = 0; round < 150 && !cfs.crashed; round++) {
    const pending: Promise<void>[] = [];
    for (let n = p.chance(0.3) ? p.range(2, 5) : 1; n > 0; n--) {
      const b: Batch = { ops: randomBatch(p), acked: false };
      history.push(b);
      pending.push(
        db.write(b.ops).then(() => {
          b.acked = true;
        }),
      );
    }
    await Promise.allSettled(pending);
    const roll = p.int(100);
    if (roll < 4) await db.flush();
    else if (roll < 6) await db.compactRange();
    else if (roll < 9) {
      await db.close();
      db = await Db.open(cfs, "db", opts);
    }
  }
}

async function check(w: ReturnType<typeof createSimWorld>, opts: DbOptions, history: Batch[]) {
  const db = await Db.open(w.fs, "db", { ...opts });
  const state = new Map<string, string>();
  for await (const [k, v] of db.scan()) state.set(fromUtf8(k), fromUtf8(v));
  for (const [k, v] of state) assert.equal(fromUtf8(db.get(k) ?? new Uint8Array()), v, k);
  const got = serialize(state);
  let mustInclude = 0;
  if (opts.sync === "always" && opts.wal !== false) {
    history.forEach((b, i) => {
      if (b.acked) mustInclude = i + 1;
    });
  }
  const model = new Map<string, string>();
  const prefixes: number[] = [];
  for (let i = 0; i <= history.length; i++) {
    if (i > 0) {
      for (const op of history[i - 1].ops) {
        if (op.type === "put") model.set(String(op.key), String(op.value));
        else model.delete(String(op.key));
      }
    }
    if (i >= mustInclude && serialize(model) === got) prefixes.push(i);
  }
  await db.close();
  assert.ok(
    prefixes.length > 0,
    `recovered state is no prefix ≥ ${mustInclude} of ${history.length} batches: ${got}`,
  );
}

export async function runCrashSeed(seed: number): Promise<string> {
  const w = createSimWorld(seed, { trace: false });
  const p = w.prng;
  const opts: DbOptions = {
    sync: p.chance(0.7) ? "always" : p.chance(0.5) ? "batched" : "none",
    wal: p.chance(0.9),
    memtableBytes: p.range(4096, 12000),
    tableFileBytes: p.range(1024, 4096),
    level1Bytes: p.range(4096, 16384),
    blockCacheBytes: 32768,
    blobMinBytes: p.chance(0.5) ? 32 : 0,
  };
  const cfs = new CrashFs(w.fs, p.range(1, 700), p.chance(0.5) ? "lose" : "tear");
  const history: Batch[] = [];
  try {
    await workload(cfs, opts, p, history);
  } catch (err) {
    if (!cfs.crashed) throw new Error(`crash seed ${seed}: error before the crash: ${String(err)}`);
  }
  cfs.crash("end");
  for (let i = 0; i < 100; i++) await Promise.resolve(); // let the dead instance's tasks fail
  const phase = phaseOf(cfs.crashedAt, cfs.crashStack);
  crashPhases.set(phase, (crashPhases.get(phase) ?? 0) + 1);
  try {
    await check(w, opts, history);
  } catch (err) {
    throw new Error(
      `crash seed ${seed} (${JSON.stringify(opts)}, ${cfs.mode} at "${cfs.crashedAt}") failed: ` +
        `${err instanceof Error ? err.stack ?? err.message : String(err)}\n` +
        `replay: deno run -A tests/storage/run_seeds.ts --crash --seed ${seed}`,
    );
  }
  return phase;
}
