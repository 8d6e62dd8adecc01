/**
 * A buffer for a length a peer announced (a frame's length prefix, a RESP bulk
 * length), allocated as the bytes actually arrive rather than when announced:
 * a peer that announces 100 MiB and sends nothing costs `startBytes`
 * (ANNOUNCED_BUFFER_START_BYTES, docs/limits.md), not 100 MiB. It doubles as
 * it fills, and takes the whole announced size once a sixteenth of it has
 * arrived (so never more than 16 times what arrived), so a large value is
 * copied only a few MiB more than before.
 */
import { assert } from "./assert.ts";

/** Once this fraction (1/n) of the announced bytes arrived, the whole size is allocated. */
const GROW_TO_TOTAL_FRACTION = 16;

export class FillingBuffer {
  #buf: Uint8Array;
  #filled = 0;

  constructor(readonly total: number, startBytes: number) {
    assert(Number.isSafeInteger(total) && total >= 0, `announced length ${total}`);
    this.#buf = new Uint8Array(Math.min(total, startBytes));
  }

  get filled(): number {
    return this.#filled;
  }

  /** Bytes allocated now (for memory accounting). */
  get allocated(): number {
    return this.#buf.length;
  }

  get done(): boolean {
    return this.#filled === this.total;
  }

  /** Appends `src`, which must fit in what is still announced. */
  append(src: Uint8Array): void {
    const need = this.#filled + src.length;
    assert(need <= this.total, "more bytes than announced");
    if (need > this.#buf.length) {
      const size = need * GROW_TO_TOTAL_FRACTION >= this.total
        ? this.total
        : Math.min(this.total, Math.max(need, this.#buf.length * 2));
      const grown = new Uint8Array(size);
      grown.set(this.#buf.subarray(0, this.#filled));
      this.#buf = grown;
    }
    this.#buf.set(src, this.#filled);
    this.#filled = need;
  }

  /** The whole announced bytes, once all arrived (exactly `total` long). */
  bytes(): Uint8Array {
    assert(this.done, "bytes() before the announced length arrived");
    return this.#buf;
  }
}
