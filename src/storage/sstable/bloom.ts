/**
 * Bloom filter over the user keys of one table. Layout in
 * docs/formats.md#filter-block:
 *
 *   filter := bits[m/8] probes:u8
 *
 * Probes use double hashing of one 32-bit hash (leveldb util/bloom.cc). The
 * probe count is stored so readers never assume the writer's settings.
 * 10 bits per key and 7 probes give about 0.8% false positives.
 */

export const BLOOM_BITS_PER_KEY = 10;

/** 32-bit hash of `data` (murmur3-style mixing; stable: written to disk via the filter). */
export function bloomHash(data: Uint8Array): number {
  return bloomHashRange(data, 0, data.length);
}

/** bloomHash of `buf[off, off+len)`, without making a view of it. */
export function bloomHashRange(buf: Uint8Array, off: number, len: number): number {
  let h = 0x9747b28c ^ len;
  const n4 = off + (len & ~3);
  let i = off;
  for (; i < n4; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= buf[i + 2] << 16;
    if (rest >= 2) k ^= buf[i + 1] << 8;
    k ^= buf[i];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Builds the filter from key hashes. */
export function buildBloom(hashes: readonly number[], bitsPerKey = BLOOM_BITS_PER_KEY): Uint8Array {
  const probes = Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.69)));
  const bits = Math.max(64, hashes.length * bitsPerKey);
  const bytes = Math.ceil(bits / 8);
  const m = bytes * 8;
  const out = new Uint8Array(bytes + 1);
  for (let i = 0; i < hashes.length; i++) {
    let h = hashes[i];
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < probes; j++) {
      const pos = h % m;
      out[pos >>> 3] |= 1 << (pos & 7);
      h = (h + delta) >>> 0;
    }
  }
  out[bytes] = probes;
  return out;
}

/**
 * True when `hash` may be in the filter. A malformed filter (empty, or a probe
 * count over 30, reserved for future encodings) answers true: it can only cost
 * a block read, never a wrong answer.
 */
export function bloomMayContain(filter: Uint8Array, hash: number): boolean {
  const bytes = filter.length - 1;
  if (bytes < 1) return true;
  const probes = filter[bytes];
  if (probes > 30 || probes === 0) return true;
  const m = bytes * 8;
  let h = hash;
  const delta = ((h >>> 17) | (h << 15)) >>> 0;
  for (let j = 0; j < probes; j++) {
    const pos = h % m;
    if ((filter[pos >>> 3] & (1 << (pos & 7))) === 0) return false;
    h = (h + delta) >>> 0;
  }
  return true;
}
