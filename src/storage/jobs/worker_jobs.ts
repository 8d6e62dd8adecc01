/**
 * The engine's side of its background worker: sends flush and compaction
 * jobs, sets aside the table numbers they write (kept from garbage
 * collection until the job's edit is installed or abandoned), and turns the
 * worker's answers back into results or the errors an inline job would have
 * thrown. A worker that dies fails its jobs with an IoError (the engine's
 * sticky background failure); one that never starts leaves the engine
 * running its jobs inline.
 */
import { STORAGE_WORKER_START_MS } from "../../limits_ops.ts";
import type { Clock, TimerId, WorkerChannel } from "../../platform/types.ts";
import { IoError } from "../../util/errors.ts";
import type { CompactionJob, JobOutputs } from "../compaction/compactor.ts";
import type { FlushRun } from "./flush_run.ts";
import type { BlobPolicy } from "../compaction/output_set.ts";
import type { BlockCompression } from "../sstable/compression.ts";
import { fromWire, type FromWorker, tagOf, type ToWorker } from "./protocol.ts";

/** How the engine hands out and takes back table numbers (its version set). */
export interface NumberHost {
  readonly dir: string;
  /** How the tables' data blocks are stored (the engine's `compression` option). */
  readonly compression: BlockCompression;
  allocate(): number;
  release(n: number): void;
}

interface Pending {
  readonly numbers: number[];
  resolve(r: JobOutputs): void;
  reject(e: Error): void;
}

export class WorkerJobs {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #ready: Promise<boolean>;
  #settleReady: (ok: boolean) => void = () => {};
  #startTimer: TimerId | undefined;
  #crashed: Error | undefined;
  /** Why the worker could not start (the engine then runs its jobs inline). */
  startFailure: Error | undefined;
  started = false;

  constructor(readonly channel: WorkerChannel, readonly host: NumberHost, readonly clock?: Clock) {
    this.#ready = new Promise((resolve) => this.#settleReady = resolve);
    channel.setHandlers((m) => this.#onMessage(m), (e) => this.#onError(e));
    if (clock !== undefined) {
      this.#startTimer = clock.setTimeout(() => {
        this.#startTimer = undefined;
        if (!this.started) this.#onError(new Error(`no answer in ${STORAGE_WORKER_START_MS} ms`));
      }, STORAGE_WORKER_START_MS);
    }
  }

  /** Resolves true once the worker answered, false if it could not start. */
  usable(): Promise<boolean> {
    return this.#ready;
  }

  get mode(): "worker" | "inline" | "starting" {
    if (this.started) return "worker";
    return this.startFailure !== undefined ? "inline" : "starting";
  }

  flush(run: FlushRun, blobs: BlobPolicy): Promise<JobOutputs> {
    return this.#submit([this.host.allocate()], (id, dir, numbers) => ({
      type: "flush",
      id,
      dir,
      numbers,
      codec: this.host.compression,
      run,
      blobs,
    }), run.chunks);
  }

  compact(job: CompactionJob): Promise<JobOutputs> {
    let bytes = 0;
    for (const f of [...job.inputs, ...job.next]) bytes += f.size;
    const count = Math.ceil(bytes / job.targetBytes) + 2;
    const numbers: number[] = [];
    for (let i = 0; i < count; i++) numbers.push(this.host.allocate());
    return this.#submit(numbers, (id, dir, ns) => ({
      type: "compact",
      id,
      dir,
      numbers: ns,
      job,
      codec: this.host.compression,
    }));
  }

  #submit(
    numbers: number[],
    message: (id: number, dir: string, numbers: number[]) => ToWorker,
    transfer?: ArrayBuffer[],
  ): Promise<JobOutputs> {
    const id = this.#nextId++;
    return new Promise<JobOutputs>((resolve, reject) => {
      const p: Pending = { numbers: [...numbers], resolve, reject };
      if (this.#crashed !== undefined) return this.#fail(p, this.#crashed);
      this.#pending.set(id, p);
      this.channel.post(message(id, this.host.dir, numbers), transfer);
    });
  }

  #fail(p: Pending, err: Error): void {
    for (const n of p.numbers) this.host.release(n);
    p.reject(err);
  }

  #onMessage(message: unknown): void {
    if (tagOf(message) === undefined) return;
    const m = message as FromWorker;
    if (m.type === "ready") {
      this.started = true;
      this.#clearStartTimer();
      this.#settleReady(true);
      return;
    }
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    if (m.type === "need-number") {
      const n = this.host.allocate();
      p.numbers.push(n);
      this.channel.post({ type: "numbers", id: m.id, numbers: [n] } satisfies ToWorker);
    } else if (m.type === "done") {
      this.#pending.delete(m.id);
      const used = new Set(m.result.outputs.map((f) => f.number));
      for (const b of m.result.blobFiles) used.add(b.number);
      for (const n of p.numbers) if (!used.has(n)) this.host.release(n);
      p.resolve(m.result); // the caller releases the outputs once its edit is settled
    } else if (m.type === "failed") {
      this.#pending.delete(m.id);
      this.#fail(p, fromWire(m.error));
    }
  }

  #onError(err: Error): void {
    this.#clearStartTimer();
    if (!this.started) {
      this.startFailure ??= err;
      this.channel.close();
      this.#settleReady(false);
      return;
    }
    this.#crashed ??= new IoError(`storage worker crashed: ${err.message}`, { cause: err });
    this.channel.close();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) this.#fail(p, this.#crashed);
  }

  #clearStartTimer(): void {
    if (this.#startTimer !== undefined) this.clock?.clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
  }

  /** Asks every running job to stop early (the engine is closing; results are dropped). */
  cancelAll(): void {
    for (const id of this.#pending.keys()) {
      this.channel.post({ type: "cancel", id } satisfies ToWorker);
    }
  }

  /** Deletes unused files on the worker's thread, unanswered (gc.ts). */
  remove(paths: string[]): void {
    this.channel.post({ type: "remove", paths } satisfies ToWorker);
  }

  close(): void {
    this.#clearStartTimer();
    this.channel.close();
    this.#settleReady(false);
  }
}
