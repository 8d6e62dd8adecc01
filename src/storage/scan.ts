/**
 * Range scans: a merge of the memtables and every table of a pinned version,
 * reduced to the newest entry per user key visible at the scan's sequence,
 * with deletions hidden. Keys and values handed out are copies.
 */
import { compareBytes, prefixEnd, toBytes } from "../util/bytes.ts";
import { InvalidArgumentError, TooLargeError } from "../util/errors.ts";
import { SCAN_CHUNK_ENTRIES_MAX } from "../limits_ops.ts";
import type { DbState } from "./db_state.ts";
import type { Cursor } from "./iterator/cursor.ts";
import { LevelCursor } from "./iterator/level_cursor.ts";
import { MergingCursor } from "./iterator/merging.ts";
import { ForwardWalk, ReverseWalk, type ScanEntry, type Walk } from "./scan_walk.ts";
import type { KeyLike } from "./write_batch.ts";

export interface ScanOptions {
  /** Only keys starting with this prefix. */
  readonly prefix?: KeyLike;
  /** Inclusive lower bound. */
  readonly start?: KeyLike;
  /** Exclusive upper bound. */
  readonly end?: KeyLike;
  /** Most entries returned (default: no limit). */
  readonly limit?: number;
  /** Descending key order. */
  readonly reverse?: boolean;
  /**
   * Hand out every value empty instead of copying it: for a walk that counts or lists keys (a
   * region split's key counts). The blocks holding the keys are still read, values and all
   * (they are stored inline), but no value is copied out of them.
   */
  readonly keysOnly?: boolean;
}

interface Bounds {
  start: Uint8Array | undefined;
  end: Uint8Array | undefined;
  limit: number;
}

function bounds(o: ScanOptions): Bounds {
  let start = o.start === undefined ? undefined : toBytes(o.start);
  let end = o.end === undefined ? undefined : toBytes(o.end);
  if (o.prefix !== undefined) {
    const p = toBytes(o.prefix);
    if (start === undefined || compareBytes(start, p) < 0) start = p;
    const pe = prefixEnd(p);
    if (pe !== undefined && (end === undefined || compareBytes(pe, end) < 0)) end = pe;
  }
  const limit = o.limit ?? Infinity;
  if (limit !== Infinity && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError(`scan limit must be a non-negative integer, got ${limit}`);
  }
  return { start, end, limit };
}

/**
 * Builds the merged cursor over the current state (caller pins the version). `whole`: the
 * caller means to read every key (an unbounded scan); the memtable's runs are then merged
 * into one first, which costs a few percent of such a scan and saves a merge step per entry.
 * Other scans leave the runs as they are: each run is a child of the merge.
 */
export function mergedCursor(s: DbState, fillCache = true, whole = false): MergingCursor {
  const v = s.vs.current;
  const children: Cursor[] = s.mem.cursors(whole);
  // The immutable memtable never changes: its one merge is shared with its flush.
  if (s.imm !== undefined) children.push(...s.imm.cursors(true));
  for (const f of v.levels[0]) children.push(s.tables.get(f.number, f.size).cursor(fillCache));
  for (let l = 1; l < v.levels.length; l++) {
    if (v.levels[l].length > 0) children.push(new LevelCursor(v.levels[l], s.tables, fillCache));
  }
  return new MergingCursor(children);
}

/** Entries computed per refill of the per-entry iterators. */
const SCAN_BATCH = 64;
/** Default entries per chunk of `scanChunks`. */
export const SCAN_CHUNK_ENTRIES = 256;

/**
 * One scan's producer: the pinned version, the walk and what is left of the limit.
 * `take(n)` computes up to n entries synchronously (a scan is a fixed view at its
 * sequence, so reading ahead is safe); the version is unpinned once the walk is
 * exhausted, fails, or `finish()` is called (the consumer stopped early).
 */
class ScanSource {
  #walk: Walk | undefined;
  #left: number;
  readonly #unpin: () => void;
  readonly #counters: DbState["counters"];

  constructor(s: DbState, options: ScanOptions, seq: number) {
    this.#counters = s.counters;
    const b = bounds(options);
    this.#left = b.limit;
    const v = s.vs.current;
    s.vs.pin(v);
    this.#unpin = () => s.vs.unpin(v);
    if (b.limit === 0) {
      this.finish();
      return;
    }
    const whole = b.start === undefined && b.end === undefined && b.limit === Infinity;
    const m = mergedCursor(s, true, whole);
    const slices = s.options.scanCopies === "slice";
    const keysOnly = options.keysOnly === true;
    this.#walk = options.reverse
      ? new ReverseWalk(m, b, seq, s.blobs, slices, keysOnly)
      : new ForwardWalk(m, b, seq, s.blobs, slices, keysOnly);
  }

  get done(): boolean {
    return this.#walk === undefined;
  }

  finish(): void {
    if (this.#left < 0) return;
    if (this.#walk !== undefined) this.#counters.scanSteps += this.#walk.steps;
    this.#walk = undefined;
    this.#left = -1;
    this.#unpin();
  }

  /** Up to `max` more entries (fewer only at the end); empty once done. */
  take(max: number, out: ScanEntry[] = []): ScanEntry[] {
    const walk = this.#walk;
    if (walk === undefined) return out;
    const want = Math.min(max, this.#left);
    let more: boolean;
    try {
      more = walk.fill(out, want);
    } catch (err) {
      this.finish();
      throw err;
    }
    this.#left -= out.length;
    if (!more || this.#left <= 0) this.finish();
    return out;
  }
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

/**
 * The async iterator of a scan. Entries are produced synchronously in batches, so each
 * `next()` is one already-resolved promise; the version stays pinned until the scan ends
 * or the consumer stops early (`return()`).
 */
class ScanIterator implements AsyncIterableIterator<ScanEntry> {
  readonly #src: ScanSource;
  #buf: ScanEntry[] = [];
  #at = 0;

  constructor(s: DbState, options: ScanOptions, seq: number) {
    this.#src = new ScanSource(s, options, seq);
  }

  next(): Promise<IteratorResult<ScanEntry>> {
    if (this.#at >= this.#buf.length) {
      try {
        this.#buf.length = 0;
        this.#at = 0;
        this.#src.take(SCAN_BATCH, this.#buf);
      } catch (err) {
        return Promise.reject(err);
      }
      if (this.#buf.length === 0) return Promise.resolve(DONE);
    }
    return Promise.resolve({ done: false, value: this.#buf[this.#at++] });
  }

  return(): Promise<IteratorResult<ScanEntry>> {
    this.#src.finish();
    this.#buf.length = 0;
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ScanEntry> {
    return this;
  }
}

export function scanEntries(
  s: DbState,
  options: ScanOptions,
  seq: number,
): AsyncIterableIterator<ScanEntry> {
  return new ScanIterator(s, options, seq);
}

/**
 * A scan handed out in chunks: each `next()` is one resolved promise carrying up to
 * `chunkEntries` entries (a fresh array the consumer owns), so a consumer pays one
 * awaited step per chunk instead of per entry. Stopping early (`break`) unpins.
 */
class ChunkIterator implements AsyncIterableIterator<ScanEntry[]> {
  readonly #src: ScanSource;

  constructor(s: DbState, options: ScanOptions, seq: number, readonly chunk: number) {
    this.#src = new ScanSource(s, options, seq);
  }

  next(): Promise<IteratorResult<ScanEntry[]>> {
    let out: ScanEntry[];
    try {
      out = this.#src.take(this.chunk);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve(out.length === 0 ? DONE : { done: false, value: out });
  }

  return(): Promise<IteratorResult<ScanEntry[]>> {
    this.#src.finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ScanEntry[]> {
    return this;
  }
}

export function scanChunks(
  s: DbState,
  options: ScanOptions,
  seq: number,
  chunkEntries = SCAN_CHUNK_ENTRIES,
): AsyncIterableIterator<ScanEntry[]> {
  if (!Number.isSafeInteger(chunkEntries) || chunkEntries < 1) {
    throw new InvalidArgumentError(`chunkEntries must be a positive integer, got ${chunkEntries}`);
  }
  if (chunkEntries > SCAN_CHUNK_ENTRIES_MAX) {
    throw new TooLargeError("scan chunk entry count", chunkEntries, SCAN_CHUNK_ENTRIES_MAX);
  }
  return new ChunkIterator(s, options, seq, chunkEntries);
}

/**
 * A synchronous scan for callers that must not yield (the state machine runs
 * Redis commands inside one apply step). The version stays pinned until the
 * iteration ends, including an early `break` (the generator's finally).
 */
export function* scanEntriesSync(
  s: DbState,
  options: ScanOptions,
  seq: number,
): Generator<ScanEntry> {
  const src = new ScanSource(s, options, seq);
  try {
    // A small first batch: callers often want only the first entry (is the range empty?).
    yield* src.take(8);
    while (!src.done) yield* src.take(SCAN_BATCH);
  } finally {
    src.finish();
  }
}
