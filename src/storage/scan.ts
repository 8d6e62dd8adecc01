/**
 * Range scans: a merge of the memtables and every table of a pinned version,
 * reduced to the newest entry per user key visible at the scan's sequence,
 * with deletions hidden. Keys and values handed out are copies.
 */
import { compareBytes, equalBytes, prefixEnd, toBytes } from "../util/bytes.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import type { DbState } from "./db_state.ts";
import { ValueKind } from "./internal_key.ts";
import type { Cursor } from "./iterator/cursor.ts";
import { LevelCursor } from "./iterator/level_cursor.ts";
import { MergingCursor } from "./iterator/merging.ts";
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

/** Builds the merged cursor over the current state (caller pins the version). */
export function mergedCursor(s: DbState, fillCache = true): MergingCursor {
  const v = s.vs.current;
  const children: Cursor[] = [s.mem.cursor()];
  if (s.imm !== undefined) children.push(s.imm.cursor());
  for (const f of v.levels[0]) children.push(s.tables.get(f.number, f.size).cursor(fillCache));
  for (let l = 1; l < v.levels.length; l++) {
    if (v.levels[l].length > 0) children.push(new LevelCursor(v.levels[l], s.tables, fillCache));
  }
  return new MergingCursor(children);
}

/** Entries computed per refill (a scan is a fixed view at its sequence: reading ahead is safe). */
const SCAN_BATCH = 64;

/**
 * The async iterator of a scan. Entries are produced synchronously in batches, so each
 * `next()` is one already-resolved promise; the version stays pinned until the scan ends
 * or the consumer stops early (`return()`).
 */
class ScanIterator implements AsyncIterableIterator<[Uint8Array, Uint8Array]> {
  readonly #buf: [Uint8Array, Uint8Array][] = [];
  #at = 0;
  #left: number;
  #gen: Generator<[Uint8Array, Uint8Array]> | undefined;
  readonly #unpin: () => void;

  constructor(s: DbState, options: ScanOptions, seq: number) {
    const b = bounds(options);
    this.#left = b.limit;
    const v = s.vs.current;
    s.vs.pin(v);
    this.#unpin = () => s.vs.unpin(v);
    if (b.limit === 0) {
      this.#finish();
      return;
    }
    const m = mergedCursor(s);
    this.#gen = options.reverse ? reverse(m, b, seq) : forward(m, b, seq);
  }

  #finish(): void {
    if (this.#gen === undefined && this.#left < 0) return;
    this.#gen = undefined;
    this.#left = -1;
    this.#unpin();
  }

  #refill(): void {
    this.#buf.length = 0;
    this.#at = 0;
    const gen = this.#gen;
    if (gen === undefined) return;
    try {
      while (this.#buf.length < SCAN_BATCH && this.#left > 0) {
        const r = gen.next();
        if (r.done) break;
        this.#buf.push(r.value);
        this.#left--;
      }
    } catch (err) {
      this.#finish();
      throw err;
    }
    if (this.#buf.length < SCAN_BATCH || this.#left <= 0) this.#finish();
  }

  next(): Promise<IteratorResult<[Uint8Array, Uint8Array]>> {
    try {
      if (this.#at >= this.#buf.length) this.#refill();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#at >= this.#buf.length) return Promise.resolve({ done: true, value: undefined });
    return Promise.resolve({ done: false, value: this.#buf[this.#at++] });
  }

  return(): Promise<IteratorResult<[Uint8Array, Uint8Array]>> {
    this.#finish();
    this.#buf.length = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    return this;
  }
}

export function scanEntries(
  s: DbState,
  options: ScanOptions,
  seq: number,
): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
  return new ScanIterator(s, options, seq);
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
): Generator<[Uint8Array, Uint8Array]> {
  const b = bounds(options);
  if (b.limit === 0) return;
  const v = s.vs.current;
  s.vs.pin(v);
  try {
    const m = mergedCursor(s);
    let left = b.limit;
    for (const entry of options.reverse ? reverse(m, b, seq) : forward(m, b, seq)) {
      yield entry;
      if (--left <= 0) return;
    }
  } finally {
    s.vs.unpin(v);
  }
}

/** Small chunk the copies handed to a scan's consumer are carved from. */
const SLAB_BYTES = 8192;

/**
 * Copies for the consumer, carved from shared 8 KiB chunks: one small ArrayBuffer per
 * many entries instead of one each (allocating a buffer dominated scan cost). A chunk
 * is never reused, so every copy stays the consumer's; holding one keeps ≤ 8 KiB alive.
 */
class Slab {
  #buf = new Uint8Array(0);
  #at = 0;

  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    if (n > SLAB_BYTES / 8) return src.slice();
    if (this.#at + n > this.#buf.length) {
      this.#buf = new Uint8Array(SLAB_BYTES);
      this.#at = 0;
    }
    const out = this.#buf.subarray(this.#at, this.#at + n);
    out.set(src);
    this.#at += n;
    return out;
  }
}

function* forward(m: MergingCursor, b: Bounds, seq: number): Generator<[Uint8Array, Uint8Array]> {
  const slab = new Slab();
  if (b.start === undefined) m.seekToFirst();
  else m.seek(b.start, Number.MAX_SAFE_INTEGER);
  let last: Uint8Array | undefined;
  while (m.valid()) {
    const key = m.key();
    if (b.end !== undefined && compareBytes(key, b.end) >= 0) return;
    if (m.seq() <= seq && (last === undefined || !equalBytes(key, last))) {
      last = slab.copy(key);
      if (m.kind() === ValueKind.Put) {
        const value = slab.copy(m.value());
        m.next();
        yield [last, value];
        continue;
      }
    }
    m.next();
  }
}

function* reverse(m: MergingCursor, b: Bounds, seq: number): Generator<[Uint8Array, Uint8Array]> {
  const slab = new Slab();
  m.seekBefore(b.end);
  while (m.valid()) {
    const key = slab.copy(m.key());
    if (b.start !== undefined && compareBytes(key, b.start) < 0) return;
    let kind: ValueKind | undefined;
    let value: Uint8Array | undefined;
    // Entries of one user key come oldest first here; keep the newest visible one.
    while (m.valid() && equalBytes(m.key(), key)) {
      if (m.seq() <= seq) {
        kind = m.kind();
        value = m.value();
      }
      m.prev();
    }
    if (kind === ValueKind.Put && value !== undefined) yield [key, slab.copy(value)];
  }
}
