/**
 * Where a memtable keeps its entries' bytes: each small batch's encoded payload is copied,
 * whole, into a few large chunks the memtable owns, and its nodes point into the chunk.
 *
 * Why: a node pointing into its own batch's buffer reached its key through two dependent
 * loads, each a cache miss in a large memtable: the buffer's typed-array object (one per
 * batch, so a different one for nearly every node a point read touches), then the bytes.
 * The few chunks' objects stay in the cache, so the key and the value beside it are one
 * miss away. Bytes placed are never moved or overwritten, so a view handed out stays valid.
 */

/** Size of the first chunk: a small memtable (tests, a tiny `memtableBytes`) stays small. */
const CHUNK_BYTES_FIRST = 64 * 1024;
/** Chunks double up to this size. */
const CHUNK_BYTES_MAX = 1024 * 1024;
/**
 * Payloads above this are kept where they are, uncopied: a large batch already shares its
 * buffer among many nodes, and a large value gains nothing from the copy. Also bounds the
 * space a chunk can leave unused at its end (an eighth of it).
 */
export const ARENA_COPY_BYTES_MAX = CHUNK_BYTES_MAX / 8;

/** Below this many bytes a loop beats `set` (a single put's payload is ~30–60 bytes). */
const COPY_LOOP_MAX = 64;

export class ByteArena {
  /** The chunk the last `place` or `reserve` put its bytes in. */
  chunk = new Uint8Array(0);
  #used = 0;
  #nextSize = CHUNK_BYTES_FIRST;

  /** Bytes of every chunk allocated so far (used or not). */
  allocated = 0;

  /** Reserves `len` bytes (≤ ARENA_COPY_BYTES_MAX) in `chunk`; returns their offset there. */
  reserve(len: number): number {
    if (this.#used + len > this.chunk.length) {
      while (this.#nextSize < len) this.#nextSize *= 2;
      this.chunk = new Uint8Array(this.#nextSize);
      this.allocated += this.#nextSize;
      if (this.#nextSize < CHUNK_BYTES_MAX) this.#nextSize *= 2;
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += len;
    return at;
  }

  /** Copies `bytes` into `chunk` (≤ ARENA_COPY_BYTES_MAX of them); returns their offset there. */
  place(bytes: Uint8Array): number {
    const len = bytes.length, at = this.reserve(len), chunk = this.chunk;
    if (len < COPY_LOOP_MAX) { for (let i = 0; i < len; i++) chunk[at + i] = bytes[i]; }
    else chunk.set(bytes, at);
    return at;
  }
}
