/**
 * Byte strings packed into one buffer with an end offset each: key i is
 * `bytes[ends[i-1], ends[i])` (from 0 for the first). A binary search over
 * them touches two arrays instead of one object per probe; on a grown store
 * the per-level table bounds and the table indexes no longer fit the CPU
 * caches, and each object is a miss of its own.
 */
export class PackedKeys {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;

  constructor(keys: readonly Uint8Array[]) {
    let total = 0;
    for (const k of keys) total += k.length;
    this.bytes = new Uint8Array(total);
    this.ends = new Uint32Array(keys.length);
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      this.bytes.set(keys[i], at);
      at += keys[i].length;
      this.ends[i] = at;
    }
  }

  get length(): number {
    return this.ends.length;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1];
  }

  /** Key i as a view (not a copy). */
  at(i: number): Uint8Array {
    return this.bytes.subarray(this.start(i), this.ends[i]);
  }

  /** Bytewise comparison of key i with `key` (negative when key i sorts first). */
  compare(i: number, key: Uint8Array): number {
    const b = this.bytes;
    const off = i === 0 ? 0 : this.ends[i - 1];
    const len = this.ends[i] - off;
    const n = len < key.length ? len : key.length;
    for (let j = 0; j < n; j++) {
      const d = b[off + j] - key[j];
      if (d !== 0) return d;
    }
    return len - key.length;
  }
}
