/**
 * The background worker's side (src/storage_worker.ts starts it): runs flush
 * and compaction jobs against the shared data directory with its own table
 * readers, and answers with the tables it wrote. It never touches the
 * manifest: the main thread installs the result as a version edit.
 */
import type { Clock, FileSystem, WorkerChannel } from "../../platform/types.ts";
import { BlockCache } from "../cache/block_cache.ts";
import { TableCache } from "../cache/table_cache.ts";
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

export function serveStorageJobs(port: WorkerChannel, fs: FileSystem, clock: Clock): void {
  const jobs = new Map<number, RunningJob>();
  const send = (m: FromWorker) => port.post(m);
  let lastYield = clock.nowMs();
  const yieldNow = (): Promise<void> => {
    if (clock.nowMs() - lastYield < WORKER_YIELD_EVERY_MS) return Promise.resolve();
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        lastYield = clock.nowMs();
        resolve();
      }, 0)
    );
  };

  const run = async (
    id: number,
    dir: string,
    job: RunningJob,
    work: (env: MergeEnv) => Promise<JobOutputs>,
  ) => {
    const tables = new TableCache(fs, dir, new BlockCache(0), WORKER_OPEN_TABLES);
    const env: MergeEnv = {
      tables,
      out: {
        fs,
        dir,
        newTableNumber: () => {
          const n = job.numbers.shift();
          if (n !== undefined) return n;
          return new Promise<number>((resolve) => {
            job.wantNumber = resolve;
            send({ type: "need-number", id });
          });
        },
        releaseTableNumber: () => {},
      },
      yieldNow,
      stopped: () => job.cancelled,
    };
    try {
      send({ type: "done", id, result: await work(env) });
    } catch (err) {
      send({ type: "failed", id, error: toWire(err) });
    } finally {
      tables.closeAll(); // the main thread deletes the inputs once the edit is installed
      jobs.delete(id);
    }
  };

  port.setHandlers((message) => {
    if (tagOf(message) === undefined) return;
    const m = message as ToWorker;
    if (m.type === "flush" || m.type === "compact") {
      const job: RunningJob = { numbers: m.numbers, cancelled: false, wantNumber: undefined };
      jobs.set(m.id, job);
      if (m.type === "flush") void run(m.id, m.dir, job, (env) => writeFlushRun(env, m.run));
      else void run(m.id, m.dir, job, (env) => compactTables(env, m.job));
    } else if (m.type === "numbers") {
      const job = jobs.get(m.id);
      if (job === undefined) return;
      job.numbers.push(...m.numbers);
      const want = job.wantNumber;
      job.wantNumber = undefined;
      const n = job.numbers.shift();
      if (want !== undefined && n !== undefined) want(n);
    } else if (m.type === "cancel") {
      const job = jobs.get(m.id);
      if (job !== undefined) job.cancelled = true;
    }
  }, () => {});
  send({ type: "ready" });
}
