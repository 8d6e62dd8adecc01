/**
 * The walks behind a scan: over a merged cursor, the newest entry per user key visible at
 * the scan's sequence, deletions hidden, copied out for the consumer. The forward walk
 * fills a caller's array with up to n entries per call (no generator step per entry).
 */
import { compareBytes, equalBytes } from "../util/bytes.ts";
import { ValueKind } from "./internal_key.ts";
import type { ByteSink } from "./iterator/cursor.ts";
import type { MergingCursor } from "./iterator/merging.ts";

/** An entry handed to a scan's consumer: bytes it owns. */
export type ScanEntry = [Uint8Array, Uint8Array];

/** Range of a walk: `start` inclusive, `end` exclusive (undefined: open). */
export interface WalkBounds {
  readonly start: Uint8Array | undefined;
  readonly end: Uint8Array | undefined;
}

/** A walk that appends up to `max` entries to `out`; returns false once it is exhausted. */
export interface Walk {
  fill(out: ScanEntry[], max: number): boolean;
  /** Engine entries stepped over so far (stats' `scanSteps`). */
  readonly steps: number;
}

/** Where a walk reads the values tables keep in blob files (blob/blob_files.ts). */
export interface BlobValues {
  readRef(ref: Uint8Array, where: string): Uint8Array;
}

const WHERE = "a table's blob reference";

/** The value a keys-only walk hands out: empty, shared (a consumer cannot grow it). */
const NO_VALUE = new Uint8Array(0);

/** Small chunk the copies handed to a scan's consumer are carved from. */
const SLAB_BYTES = 8192;

/**
 * Copies for the consumer, carved from shared 8 KiB chunks: one small ArrayBuffer per
 * many entries instead of one each (allocating a buffer dominated scan cost). A chunk
 * is never reused, so every copy stays the consumer's; holding one keeps ≤ 8 KiB alive.
 */
class Slab implements ByteSink {
  /** `slices`: every copy is an array of its own (DbOptions.scanCopies `slice`). */
  constructor(readonly slices: boolean) {}

  #buf = new Uint8Array(0);
  #ab: ArrayBuffer = this.#buf.buffer;
  #at = 0;

  /**
   * Room for n more bytes. Copies are handed out as `new Uint8Array(buffer, at, n)`: under
   * V8 that costs about half of `subarray` (which looks up the species constructor).
   */
  #room(n: number): void {
    if (this.#at + n > this.#buf.length) {
      this.#buf = new Uint8Array(SLAB_BYTES);
      this.#ab = this.#buf.buffer;
      this.#at = 0;
    }
  }

  /** Copies a range byte by byte: no view of the source (an allocation) is made. */
  copyRange(src: Uint8Array, off: number, n: number): Uint8Array {
    if (this.slices || n > SLAB_BYTES / 8) return src.slice(off, off + n);
    this.#room(n);
    const buf = this.#buf, at = this.#at;
    for (let i = 0; i < n; i++) buf[at + i] = src[off + i];
    this.#at = at + n;
    return new Uint8Array(this.#ab, at, n);
  }

  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    if (this.slices || n > SLAB_BYTES / 8) return src.slice();
    this.#room(n);
    const buf = this.#buf, at = this.#at;
    for (let i = 0; i < n; i++) buf[at + i] = src[i];
    this.#at = at + n;
    return new Uint8Array(this.#ab, at, n);
  }
}

/** Ascending walk; its state between calls is the cursor and the last user key seen. */
export class ForwardWalk implements Walk {
  readonly #slab: Slab;
  #last: Uint8Array | undefined;
  steps = 0;

  /**
   * `slices`: each copy handed out is an array of its own (DbOptions.scanCopies); `keysOnly`:
   * values are handed out empty, never copied (ScanOptions.keysOnly).
   */
  constructor(
    readonly m: MergingCursor,
    readonly b: WalkBounds,
    readonly seq: number,
    readonly blobs: BlobValues,
    slices = false,
    readonly keysOnly = false,
  ) {
    this.#slab = new Slab(slices);
    if (b.start === undefined) m.seekToFirst();
    else m.seek(b.start, Number.MAX_SAFE_INTEGER);
  }

  fill(out: ScanEntry[], max: number): boolean {
    const { m, b, seq } = this;
    const end = b.end;
    let last = this.#last;
    let n = 0, steps = 0;
    while (n < max && m.valid()) {
      const key = m.key();
      if (end !== undefined && compareBytes(key, end) >= 0) break;
      steps++;
      if (m.seq() <= seq && (last === undefined || !equalBytes(key, last))) {
        last = this.#slab.copy(key);
        const kind = m.kind();
        if (kind === ValueKind.Put) {
          out.push([last, this.keysOnly ? NO_VALUE : m.copyValue(this.#slab)]);
          n++;
        } else if (kind === ValueKind.BlobRef) {
          // The read makes an array of its own: no slab copy.
          out.push([last, this.keysOnly ? NO_VALUE : this.blobs.readRef(m.value(), WHERE)]);
          n++;
        }
      }
      m.next();
    }
    this.#last = last;
    this.steps += steps;
    return n === max;
  }
}

/** Descending walk (a generator: reverse scans are rare and short). */
export class ReverseWalk implements Walk {
  readonly #gen: Generator<ScanEntry>;
  readonly #count = { steps: 0 };

  constructor(
    m: MergingCursor,
    b: WalkBounds,
    seq: number,
    blobs: BlobValues,
    slices = false,
    keysOnly = false,
  ) {
    this.#gen = reverse(m, b, seq, blobs, slices, keysOnly, this.#count);
  }

  get steps(): number {
    return this.#count.steps;
  }

  fill(out: ScanEntry[], max: number): boolean {
    for (let n = 0; n < max; n++) {
      const r = this.#gen.next();
      if (r.done) return false;
      out.push(r.value);
    }
    return true;
  }
}

function* reverse(
  m: MergingCursor,
  b: WalkBounds,
  seq: number,
  blobs: BlobValues,
  slices: boolean,
  keysOnly: boolean,
  count: { steps: number },
): Generator<ScanEntry> {
  const slab = new Slab(slices);
  m.seekBefore(b.end);
  while (m.valid()) {
    const key = slab.copy(m.key());
    if (b.start !== undefined && compareBytes(key, b.start) < 0) return;
    let kind: ValueKind | undefined;
    let value: Uint8Array | undefined;
    // Entries of one user key come oldest first here; keep the newest visible one.
    while (m.valid() && equalBytes(m.key(), key)) {
      count.steps++;
      if (m.seq() <= seq) {
        kind = m.kind();
        value = m.value();
      }
      m.prev();
    }
    if (kind === ValueKind.Put && value !== undefined) {
      yield [key, keysOnly ? NO_VALUE : slab.copy(value)];
    } else if (kind === ValueKind.BlobRef && value !== undefined) {
      yield [key, keysOnly ? NO_VALUE : blobs.readRef(value, WHERE)];
    }
  }
}
