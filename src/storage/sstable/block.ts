/**
 * Reading a block built by `BlockBuilder` (layout: docs/formats.md#data-block).
 * Contents were checksummed when read, but the structure is still decoded as
 * untrusted bytes: anything out of bounds is a CorruptionError naming the file
 * and the block's offset, never a crash or wrong data.
 */
import { readFixed32 } from "../../util/coding.ts";
import { CorruptionError } from "../../util/errors.ts";
import { compareStored, readTrailerSeq, TRAILER_BYTES, ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";

/** A checked, immutable block: contents plus its restart array bounds. */
export class Block {
  readonly restartsAt: number;
  readonly numRestarts: number;

  constructor(readonly data: Uint8Array, readonly file: string, readonly offset: number) {
    if (data.length < 4) throw new CorruptionError(file, offset, "block too short");
    this.numRestarts = readFixed32(data, data.length - 4);
    const max = Math.floor((data.length - 4) / 4);
    if (this.numRestarts < 1 || this.numRestarts > max) {
      throw new CorruptionError(file, offset, `bad restart count ${this.numRestarts}`);
    }
    this.restartsAt = data.length - 4 - 4 * this.numRestarts;
  }

  restartPoint(i: number): number {
    return readFixed32(this.data, this.restartsAt + 4 * i);
  }
}

/**
 * Cursor over a block whose keys are internal keys (data and index blocks).
 * `rawKey()` is the whole stored key; `key()` the user key part.
 */
export class BlockCursor implements Cursor {
  #cur: number; // offset of the current entry; restartsAt when invalid
  #nextOff = 0;
  #restartIndex = 0;
  #key = new Uint8Array(64);
  #keyLen = 0;
  #valOff = 0;
  #valLen = 0;
  #userKey = new Uint8Array(0);
  /** The buffer `#userKey` views (compared instead of `.buffer`, a getter JSC pays for). */
  #userKeyOf = this.#key;
  #seq = 0;
  #data: Uint8Array;
  #block: Block;

  constructor(block: Block) {
    this.#block = block;
    this.#data = block.data;
    this.#cur = block.restartsAt;
  }

  get block(): Block {
    return this.#block;
  }

  /** Points this cursor (and its key buffer) at another block, unpositioned. */
  reset(block: Block): void {
    this.#block = block;
    this.#data = block.data;
    this.#cur = block.restartsAt;
    this.#nextOff = 0;
    this.#restartIndex = 0;
    this.#keyLen = 0;
  }

  valid(): boolean {
    return this.#cur < this.block.restartsAt;
  }

  #corrupt(reason: string): never {
    throw new CorruptionError(this.block.file, this.block.offset + this.#cur, reason);
  }

  #varint(at: number): [number, number] {
    const d = this.#data;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (at >= this.block.restartsAt) this.#corrupt("truncated entry");
      const b = d[at++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return [result, at];
      scale *= 128;
    }
    return this.#corrupt("varint too long");
  }

  /** Decodes the entry at `#nextOff`; returns false at the end of the block. */
  #parseNext(): boolean {
    const d = this.#data;
    const limit = this.block.restartsAt;
    this.#cur = this.#nextOff;
    if (this.#cur >= limit) {
      this.#cur = limit;
      return false;
    }
    let at = this.#cur;
    let shared: number, unshared: number, vlen: number;
    if (d[at] < 0x80 && d[at + 1] < 0x80 && d[at + 2] < 0x80 && at + 3 <= limit) {
      shared = d[at];
      unshared = d[at + 1];
      vlen = d[at + 2];
      at += 3;
    } else if (d[at] < 0x80 && d[at + 1] < 0x80 && d[at + 3] < 0x80 && at + 4 <= limit) {
      // A value of 128 B–16 KiB: two-byte length, still without the general decoder.
      shared = d[at];
      unshared = d[at + 1];
      vlen = (d[at + 2] & 0x7f) | (d[at + 3] << 7);
      at += 4;
    } else {
      [shared, at] = this.#varint(at);
      [unshared, at] = this.#varint(at);
      [vlen, at] = this.#varint(at);
    }
    if (shared > this.#keyLen || at + unshared + vlen > limit) this.#corrupt("bad entry lengths");
    const keyLen = shared + unshared;
    if (keyLen < TRAILER_BYTES) this.#corrupt("key shorter than its trailer");
    if (keyLen > this.#key.length) {
      const k = new Uint8Array(keyLen * 2);
      k.set(this.#key.subarray(0, shared));
      this.#key = k;
    }
    const k = this.#key;
    for (let i = 0; i < unshared; i++) k[shared + i] = d[at + i]; // no view per entry
    this.#keyLen = keyLen;
    this.#seq = -1; // key view and sequence are decoded on first use
    this.#valOff = at + unshared;
    this.#valLen = vlen;
    this.#nextOff = this.#valOff + vlen;
    const b = this.block;
    while (
      this.#restartIndex + 1 < b.numRestarts && b.restartPoint(this.#restartIndex + 1) <= this.#cur
    ) {
      this.#restartIndex++;
    }
    return true;
  }

  #seekToRestart(i: number): void {
    this.#keyLen = 0;
    this.#restartIndex = i;
    this.#nextOff = this.block.restartPoint(i);
    if (this.#nextOff > this.block.restartsAt) this.#corrupt("restart point past restarts");
  }

  seekToFirst(): void {
    this.#seekToRestart(0);
    this.#parseNext();
  }

  seekToLast(): void {
    this.#seekToRestart(this.block.numRestarts - 1);
    while (this.#parseNext() && this.#nextOff < this.block.restartsAt) { /* advance */ }
  }

  seek(key: Uint8Array, seq: number): void {
    const d = this.#data;
    let lo = 0;
    let hi = this.block.numRestarts - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const at = this.block.restartPoint(mid);
      let shared: number, unshared: number, a3: number;
      if (d[at] < 0x80 && d[at + 1] < 0x80 && (d[at + 2] < 0x80 || d[at + 3] < 0x80)) {
        // The value length (skipped here) is one or two bytes for values under 16 KiB.
        shared = d[at];
        unshared = d[at + 1];
        a3 = d[at + 2] < 0x80 ? at + 3 : at + 4;
      } else {
        let a1: number, a2: number;
        [shared, a1] = this.#varint(at);
        [unshared, a2] = this.#varint(a1);
        [, a3] = this.#varint(a2);
      }
      if (shared !== 0 || a3 + unshared > this.block.restartsAt || unshared < TRAILER_BYTES) {
        this.#cur = at;
        this.#corrupt("bad restart entry");
      }
      if (compareStored(d, a3, unshared, key, seq) < 0) lo = mid;
      else hi = mid - 1;
    }
    this.#seekToRestart(lo);
    while (this.#parseNext()) {
      if (compareStored(this.#key, 0, this.#keyLen, key, seq) >= 0) return;
    }
  }

  next(): void {
    if (this.valid()) this.#parseNext();
  }

  prev(): void {
    const original = this.#cur;
    if (original >= this.block.restartsAt) return;
    while (this.block.restartPoint(this.#restartIndex) >= original) {
      if (this.#restartIndex === 0) {
        this.#cur = this.block.restartsAt;
        return;
      }
      this.#restartIndex--;
    }
    this.#seekToRestart(this.#restartIndex);
    while (this.#parseNext() && this.#nextOff < original) { /* advance */ }
  }

  key(): Uint8Array {
    if (this.#seq < 0) this.#decodeKey();
    return this.#userKey;
  }
  #decodeKey(): void {
    const n = this.#keyLen - TRAILER_BYTES;
    // The key is rewritten in place per entry: the view of the last one still fits if its
    // length and buffer match (a view per entry was a tenth of a scan's time under Bun).
    const u = this.#userKey;
    if (u.length !== n || this.#userKeyOf !== this.#key) {
      this.#userKey = this.#key.subarray(0, n);
      this.#userKeyOf = this.#key;
    }
    this.#seq = readTrailerSeq(this.#key, n);
    if (this.#seq < 0) this.#corrupt("sequence number exceeds 2^53");
  }
  /** True when the current user key equals `key` (no allocation). */
  keyEquals(key: Uint8Array): boolean {
    const n = this.#keyLen - TRAILER_BYTES;
    if (n !== key.length) return false;
    const k = this.#key;
    for (let i = 0; i < n; i++) if (k[i] !== key[i]) return false;
    return true;
  }
  /** A copy of the current value. */
  valueCopy(): Uint8Array {
    return this.#data.slice(this.#valOff, this.#valOff + this.#valLen);
  }
  rawKey(): Uint8Array {
    return this.#key.subarray(0, this.#keyLen);
  }
  seq(): number {
    if (this.#seq < 0) this.#decodeKey();
    return this.#seq;
  }
  kind(): ValueKind {
    const k = this.#key[this.#keyLen - TRAILER_BYTES];
    if (k === ValueKind.Put) return ValueKind.Put;
    if (k === ValueKind.Delete) return ValueKind.Delete;
    if (k === ValueKind.BlobRef) return ValueKind.BlobRef;
    return this.#corrupt(`unknown value kind ${k}`);
  }
  value(): Uint8Array {
    return this.#data.subarray(this.#valOff, this.#valOff + this.#valLen);
  }
  copyValue(sink: ByteSink): Uint8Array {
    return sink.copyRange(this.#data, this.#valOff, this.#valLen);
  }
}
