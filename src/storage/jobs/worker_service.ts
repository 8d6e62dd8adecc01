/**
 * The background worker's side (src/storage_worker.ts starts it): runs flush
 * and compaction jobs against the shared data directory with its own table
 * readers, and answers with the tables it wrote. It never touches the
 * manifest: the main thread installs the result as a version edit.
 */
import type { BlockCompression } from "../sstable/compression.ts";
import type { Clock, FileSystem, WorkerChannel } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { BlockCache } from "../cache/block_cache.ts";
import { TableCache } from "../cache/table_cache.ts";
import { TABLE_READERS_BYTES_DEFAULT } from "../../limits_ops.ts";
import { LARGE_APPLY_GC_BYTES } from "../../limits.ts";
import { compactTables, type JobOutputs, type MergeEnv } from "../compaction/compactor.ts";
import { writeFlushRun } from "./flush_run.ts";
import { type FromWorker, tagOf, toWire, type ToWorker } from "./protocol.ts";

/** Longest stretch of a job between turns of the worker's event loop (cancel, number replies). */
const WORKER_YIELD_EVERY_MS = 20;
/** Tables a worker keeps open during one job (a level-0 compaction opens all its inputs). */
const WORKER_OPEN_TABLES = 1000;

interface RunningJob {
  readonly numbers: number[];
  cancelled: boolean;
  wantNumber: ((n: number) => void) | undefined;
}

type Send = (m: FromWorker) => void;

/** Yields a macrotask once WORKER_YIELD_EVERY_MS has passed since the last one. */
function yielder(clock: Clock): () => Promise<void> {
  let lastYield = clock.nowMs();
  return () => {
    if (clock.nowMs() - lastYield < WORKER_YIELD_EVERY_MS) return Promise.resolve();
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        lastYield = clock.nowMs();
        resolve();
      }, 0)
    );
  };
}

/** Runs one job with its own table readers and answers with its outputs or its error. */
async function runJob(
  fs: FileSystem,
  send: Send,
  yieldNow: () => Promise<void>,
  id: number,
  dir: string,
  compression: BlockCompression,
  job: RunningJob,
  work: (env: MergeEnv) => Promise<JobOutputs>,
  collectGarbage: (() => void) | undefined,
): Promise<void> {
  const tables = new TableCache(
    fs,
    dir,
    new BlockCache(0),
    WORKER_OPEN_TABLES,
    TABLE_READERS_BYTES_DEFAULT,
  );
  const newTableNumber = (): number | Promise<number> => {
    const n = job.numbers.shift();
    if (n !== undefined) return n;
    return new Promise<number>((resolve) => {
      job.wantNumber = resolve;
      send({ type: "need-number", id });
    });
  };
  const env: MergeEnv = {
    tables,
    out: { fs, dir, compression, newTableNumber, releaseTableNumber: () => {} },
    yieldNow,
    stopped: () => job.cancelled,
    collectGarbage,
  };
  try {
    const result = await work(env);
    send({ type: "done", id, result });
    // The job's buffers (a flush's entries, the blocks built) are garbage now; this thread's
    // heap frees them lazily, and a large value's copies would stay resident meanwhile.
    if (result.bytesWritten >= LARGE_APPLY_GC_BYTES) collectGarbage?.();
  } catch (err) {
    send({ type: "failed", id, error: toWire(err) });
  } finally {
    tables.closeAll(); // the main thread deletes the inputs once the edit is installed
  }
}

/**
 * Serves the jobs `port` brings. `collectGarbage` (the platform's, when it has one) runs after a
 * job that wrote LARGE_APPLY_GC_BYTES or more, as the node does after applying that much.
 */
export function serveStorageJobs(
  port: WorkerChannel,
  fs: FileSystem,
  clock: Clock,
  collectGarbage?: () => void,
): void {
  const jobs = new Map<number, RunningJob>();
  const send: Send = (m) => port.post(m);
  const yieldNow = yielder(clock);
  const start = (
    id: number,
    dir: string,
    compression: BlockCompression,
    numbers: number[],
    work: (env: MergeEnv) => Promise<JobOutputs>,
  ) => {
    const job: RunningJob = { numbers, cancelled: false, wantNumber: undefined };
    jobs.set(id, job);
    void runJob(fs, send, yieldNow, id, dir, compression, job, work, collectGarbage).finally(() =>
      jobs.delete(id)
    );
  };
  port.setHandlers((message) => {
    if (tagOf(message) === undefined) return;
    const m = message as ToWorker;
    if (m.type === "flush") {
      start(m.id, m.dir, m.codec, m.numbers, (env) => writeFlushRun(env, m.run, m.blobs));
    } else if (m.type === "compact") {
      start(m.id, m.dir, m.codec, m.numbers, (env) => compactTables(env, m.job));
    } else if (m.type === "numbers") {
      const job = jobs.get(m.id);
      if (job === undefined) return;
      job.numbers.push(...m.numbers);
      const want = job.wantNumber;
      if (want === undefined) return;
      job.wantNumber = undefined;
      const n = job.numbers.shift();
      assert(n !== undefined, "a numbers message carried no table number");
      want(n);
    } else if (m.type === "remove") {
      removeQuietly(fs, m.paths);
    } else if (m.type === "cancel") {
      const job = jobs.get(m.id);
      if (job !== undefined) job.cancelled = true;
    }
  }, () => {});
  send({ type: "ready" });
}

/** A file that cannot be removed now stays; the main thread's next collection sends it again. */
function removeQuietly(fs: FileSystem, paths: readonly string[]): void {
  for (const path of paths) {
    try {
      fs.remove(path);
    } catch {
      // already gone (sent twice) or not removable now: nothing to do here
    }
  }
}
