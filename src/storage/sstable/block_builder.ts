/**
 * Builds one block of sorted entries with prefix-compressed keys. Layout in
 * docs/formats.md#data-block:
 *
 *   block   := entry* restart:fixed32{n} n:fixed32
 *   entry   := shared:varint unshared:varint value_len:varint key_delta value
 *
 * Every RESTART_INTERVAL-th entry stores its whole key (shared = 0) and its
 * offset goes in the restart array, so a reader can binary-search restarts.
 * Reused across blocks via `reset()` (leveldb BlockBuilder).
 */
import { assert } from "../../util/assert.ts";
import { ByteWriter } from "../../util/coding.ts";

export const RESTART_INTERVAL = 16;

export class BlockBuilder {
  readonly #out = new ByteWriter(8192);
  #restarts: number[] = [0];
  #counter = 0;
  #lastKey = new Uint8Array(256);
  #lastKeyLen = 0;
  #entries = 0;

  constructor(readonly restartInterval = RESTART_INTERVAL) {
    assert(restartInterval >= 1, "restart interval");
  }

  reset(): void {
    this.#out.reset();
    this.#restarts = [0];
    this.#counter = 0;
    this.#lastKeyLen = 0;
    this.#entries = 0;
  }

  get empty(): boolean {
    return this.#entries === 0;
  }

  /** Size of the block if finished now. */
  get estimatedBytes(): number {
    return this.#out.length + 4 * this.#restarts.length + 4;
  }

  /** Adds an entry; keys must arrive in increasing order. */
  add(key: Uint8Array, value: Uint8Array): void {
    this.addFrom(key, key.length, value, 0, value.length);
  }

  /** Adds key `key[0, klen)` with value `vbuf[voff, voff+vlen)`; no views are made. */
  addFrom(key: Uint8Array, klen: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    let shared = 0;
    if (this.#counter < this.restartInterval) {
      const last = this.#lastKey;
      const n = Math.min(this.#lastKeyLen, klen);
      while (shared < n && last[shared] === key[shared]) shared++;
    } else {
      this.#restarts.push(this.#out.length);
      this.#counter = 0;
    }
    const unshared = klen - shared;
    this.#out.varint(shared).varint(unshared).varint(vlen);
    this.#out.range(key, shared, unshared).range(vbuf, voff, vlen);
    if (klen > this.#lastKey.length) {
      const grown = new Uint8Array(klen * 2);
      grown.set(this.#lastKey.subarray(0, shared));
      this.#lastKey = grown;
    }
    const last = this.#lastKey;
    for (let i = shared; i < klen; i++) last[i] = key[i];
    this.#lastKeyLen = klen;
    this.#counter++;
    this.#entries++;
  }

  /** The finished block contents; a view valid until `reset()`. */
  finish(): Uint8Array {
    for (const r of this.#restarts) this.#out.fixed32(r);
    this.#out.fixed32(this.#restarts.length);
    return this.#out.view();
  }
}
