/**
 * Blocked bloom filter over the user keys of one table (meta block
 * `filter.tinykv.bloom2`; layout in docs/formats.md#filter-block):
 *
 *   filter := line[n] probes:u8        line := 64 bytes (512 bits)
 *
 * A key's hash picks one line and every probe tests a bit inside it, so a lookup touches
 * one 64-byte stretch of memory instead of one cache line per probe. A point get on a grown
 * store probes one table per level, and between two gets a server's other work has evicted
 * the filters from the CPU caches: each probe of the classic filter was a cache miss
 * (bench/RESULTS.md, "Growth reads"). The price is a slightly higher false-positive rate
 * for the same bits per key (about 1 % instead of 0.8 % at 10 bits and 6 probes).
 *
 * The hash is bloomHash (bloom.ts), the same 32-bit value the classic filter uses.
 */
import { BLOOM_BITS_PER_KEY } from "./bloom.ts";

export const BLOOM_LINE_BYTES = 64;
const LINE_BITS = BLOOM_LINE_BYTES * 8;
const TWO_32 = 0x1_0000_0000;

/** The line of a filter of `lines` lines that `hash` maps to (multiply-shift, no modulo). */
function lineOf(hash: number, lines: number): number {
  return Math.floor((hash * lines) / TWO_32);
}

/** The in-line bit sequence's start: a second mix of the hash, independent of the line. */
function probeStart(hash: number): number {
  return Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0;
}

/** Builds the filter from key hashes. */
export function buildBlockedBloom(
  hashes: readonly number[],
  bitsPerKey = BLOOM_BITS_PER_KEY,
): Uint8Array {
  const probes = Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.6)));
  const lines = Math.max(1, Math.ceil((hashes.length * bitsPerKey) / LINE_BITS));
  const out = new Uint8Array(lines * BLOOM_LINE_BYTES + 1);
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i];
    const base = lineOf(h, lines) * BLOOM_LINE_BYTES;
    let a = probeStart(h);
    const delta = ((a >>> 17) | (a << 15)) | 1;
    for (let j = 0; j < probes; j++) {
      const bit = a >>> 23; // top 9 bits: 0..511
      out[base + (bit >>> 3)] |= 1 << (bit & 7);
      a = (a + delta) >>> 0;
    }
  }
  out[lines * BLOOM_LINE_BYTES] = probes;
  return out;
}

/**
 * True when `hash` may be in the filter. A malformed filter (no whole line, or a probe count
 * of 0 or over 30, reserved) answers true: it can only cost a block read, never a wrong answer.
 */
export function blockedBloomMayContain(filter: Uint8Array, hash: number): boolean {
  const bytes = filter.length - 1;
  if (bytes < BLOOM_LINE_BYTES || bytes % BLOOM_LINE_BYTES !== 0) return true;
  const probes = filter[bytes];
  if (probes > 30 || probes === 0) return true;
  const base = lineOf(hash, bytes / BLOOM_LINE_BYTES) * BLOOM_LINE_BYTES;
  let a = probeStart(hash);
  const delta = ((a >>> 17) | (a << 15)) | 1;
  for (let j = 0; j < probes; j++) {
    const bit = a >>> 23;
    if ((filter[base + (bit >>> 3)] & (1 << (bit & 7))) === 0) return false;
    a = (a + delta) >>> 0;
  }
  return true;
}
