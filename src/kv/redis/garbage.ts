/**
 * Removes the members of dead hashes and sets. Deleting or overwriting a
 * collection drops only its meta record and queues `0x10 region 0x0A gen → memberPrefix`
 * (database.ts), so a DEL of a million-member hash costs one small write at
 * apply. This collector deletes every engine key under each queued prefix,
 * then the queue entry, in bounded batches in the background.
 *
 * It is local to the node, not replicated: no apply ever reads or writes a
 * dead generation (generations are unique), so replicas may remove the same
 * garbage at different times without disagreeing on anything a command sees.
 * A queue entry is deleted in the batch that removes its last members, so the
 * work resumes from the queue itself after a restart or an engine swap.
 */
import { REDIS_GARBAGE_BATCH } from "../../limits.ts";
import type { Db, WriteOp } from "../../storage/db.ts";
import { prefixEnd } from "../../util/bytes.ts";
import { ClosedError } from "../../util/errors.ts";
import type { RegionKeys } from "../region_keys.ts";
import { RedisNamespace } from "./keys.ts";

/**
 * One batch: deletes up to `batch` engine keys, members first, each queue
 * entry with its prefix's last members. `more` when queued work is left.
 */
export async function collectGarbage(
  db: Db,
  region: RegionKeys,
  batch = REDIS_GARBAGE_BATCH,
): Promise<{ removed: number; more: boolean }> {
  const queued: [Uint8Array, Uint8Array][] = [];
  const queue = { start: region.garbagePrefix, end: region.garbageEnd, limit: batch };
  for await (const [k, v] of db.scan(queue)) {
    queued.push([k.slice(), v.slice()]);
  }
  const ops: WriteOp[] = [];
  let removed = 0;
  for (const [entry, prefix] of queued) {
    const room = batch - ops.length;
    let found = 0;
    // A prefix always ends in the generation's bytes, never all 0xff: prefixEnd exists.
    const end = prefixEnd(prefix) ?? region.garbageEnd;
    for await (const [k] of db.scan({ start: prefix, end, limit: room })) {
      ops.push({ type: "del", key: k.slice() });
      found++;
    }
    removed += found;
    if (found === room) break; // members may be left: the entry stays for the next batch
    ops.push({ type: "del", key: entry });
    if (ops.length >= batch) break;
  }
  if (ops.length > 0) await db.write(ops);
  return { removed, more: ops.length >= batch };
}

/** Runs collection batches in the background whenever garbage may be queued. */
export class GarbageCollector {
  #wanted = false;
  #stopped = false;
  #running: Promise<void> | undefined;
  /** Member keys removed so far (for metrics and tests). */
  removed = 0;
  /**
   * Awaited between two batches. A batch's write settles in microtasks, so without a timer turn
   * here the DEL of a million-member hash would hold the event loop for its whole collection;
   * the node sets a timer-based pause (engine_holder.ts).
   */
  pause: () => Promise<void> = () => Promise.resolve();

  constructor(
    readonly db: Db,
    /** The region whose queue this collector works through. */
    readonly region: RegionKeys,
    readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Starts (or restarts) collecting, from whatever the engine has queued. */
  start(): void {
    this.#stopped = false;
    // A synchronous look first: an engine with nothing queued (the usual case) costs no task.
    const range = { start: this.region.garbagePrefix, end: this.region.garbageEnd, limit: 1 };
    for (const _ of this.db.scanSync(range)) return this.request();
  }

  /** No batch starts after this (the one being written finishes) until `start`. */
  stop(): void {
    this.#stopped = true;
  }

  /** Collects until nothing is queued; a request during a run makes it look again. */
  request(): void {
    if (this.#stopped) return;
    this.#wanted = true;
    this.#running ??= this.#run();
  }

  /** After an apply pass wrote `ops`: requests a run when they queued garbage. */
  afterWrite(ops: readonly WriteOp[]): void {
    for (const op of ops) {
      const key = op.key;
      if (
        op.type === "put" && typeof key !== "string" &&
        this.region.isKind(key, RedisNamespace.Garbage)
      ) {
        return this.request();
      }
    }
  }

  /** Resolves when the current work (if any) is done. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    try {
      while (this.#wanted && !this.#stopped) {
        this.#wanted = false;
        let more = true;
        while (more && !this.#stopped) {
          const r = await collectGarbage(this.db, this.region);
          this.removed += r.removed;
          more = r.more;
          if (more) await this.pause();
        }
      }
    } catch (err) {
      // The engine closed (shutdown or swap): the next open collects the rest.
      if (!(err instanceof ClosedError)) this.onError(err);
    } finally {
      // In the same turn as the last check of #wanted: no request can fall in between.
      this.#running = undefined;
    }
  }
}
