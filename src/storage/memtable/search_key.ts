/**
 * How the memtable's skiplist orders and compares keys: six small integers holding a
 * key's first 18 bytes that a node keeps inline, so most comparisons never load the key's
 * bytes, then the bytes past those 18 in place (no string or view is made per key).
 */
/**
 * Key bytes packed into each prefix word, as base-257 digits (byte+1; 0 past the end of
 * the key): 257^3 < 2^30, so a word is a small integer both engines keep unboxed in the
 * node, and numeric order of the words is the unsigned byte order of the keys.
 */
const WORD_BYTES = 3;
/** Key bytes the six prefix words cover; longer keys that tie compare the rest in place. */
const PREFIX_BYTES = 6 * WORD_BYTES;

export function prefixWord(buf: Uint8Array, at: number, end: number): number {
  const b0 = at < end ? buf[at] + 1 : 0;
  const b1 = at + 1 < end ? buf[at + 1] + 1 : 0;
  const b2 = at + 2 < end ? buf[at + 2] + 1 : 0;
  return (b0 * 257 + b1) * 257 + b2;
}

/**
 * What a search compares against: the key's first 18 bytes as six integers kept inline
 * in the node (a comparison then rarely loads the key, and those loads, a cache miss per
 * node visited, were most of an insert's time), then the key's remaining bytes
 * `buf[koff+18, koff+klen)`, then the sequence.
 */
export interface SearchKey {
  readonly k0: number;
  readonly k1: number;
  readonly k2: number;
  readonly k3: number;
  readonly k4: number;
  readonly k5: number;
  readonly buf: Uint8Array;
  readonly koff: number;
  readonly klen: number;
  readonly seq: number;
}

/** Internal order of two nodes of one list (never equal: sequences are unique). */
export function compareNodes(a: SearchKey, b: SearchKey): number {
  return before(a, b) ? -1 : 1;
}

/** True when node n sorts before key p in internal order (key ascending, seq descending). */
export function before(n: SearchKey, p: SearchKey): boolean {
  if (n.k0 !== p.k0) return n.k0 < p.k0;
  if (n.k1 !== p.k1) return n.k1 < p.k1;
  if (n.k2 !== p.k2) return n.k2 < p.k2;
  if (n.k3 !== p.k3) return n.k3 < p.k3;
  if (n.k4 !== p.k4) return n.k4 < p.k4;
  if (n.k5 !== p.k5) return n.k5 < p.k5;
  // Equal words are equal keys unless one key runs past the 18 bytes they cover.
  if (p.klen > PREFIX_BYTES || n.klen !== p.klen) {
    const c = compareTails(n, p);
    if (c !== 0) return c < 0;
  }
  return n.seq > p.seq;
}

/**
 * Byte order of two keys whose first 18 bytes are equal, from their 19th byte on: a loop
 * in place (the keys that get here, such as one user key's revisions in the key index,
 * differ in a few bytes), where a string per key cost an allocation and a copy each.
 */
function compareTails(a: SearchKey, b: SearchKey): number {
  const ab = a.buf, bb = b.buf, ao = a.koff, bo = b.koff;
  const n = a.klen < b.klen ? a.klen : b.klen;
  for (let i = PREFIX_BYTES; i < n; i++) {
    const d = ab[ao + i] - bb[bo + i];
    if (d !== 0) return d;
  }
  return a.klen - b.klen;
}

/** Whether the key `buf[koff, koff+klen)` of `n` is exactly `key`. */
export function sameKey(n: SearchKey, key: Uint8Array): boolean {
  if (n.klen !== key.length) return false;
  const b = n.buf, o = n.koff;
  for (let i = 0; i < key.length; i++) if (b[o + i] !== key[i]) return false;
  return true;
}

/** Whether two nodes hold the same key: their inline words decide all but bytes past 18. */
export function sameNodeKeys(a: SearchKey, b: SearchKey): boolean {
  if (
    a.klen !== b.klen || a.k0 !== b.k0 || a.k1 !== b.k1 || a.k2 !== b.k2 || a.k3 !== b.k3 ||
    a.k4 !== b.k4 || a.k5 !== b.k5
  ) return false;
  const ab = a.buf, bb = b.buf, ao = a.koff, bo = b.koff;
  for (let i = PREFIX_BYTES; i < a.klen; i++) if (ab[ao + i] !== bb[bo + i]) return false;
  return true;
}

/**
 * A 30-bit hash of `buf[off, off+len)` (FNV-1a): the memtable's point-read map is keyed by
 * it, a small integer both engines keep unboxed, so indexing a write makes no string.
 * Collisions are resolved by the caller (it compares the bytes, then searches the list).
 */
export function keyHash(buf: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = off, end = off + len; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h & 0x3fff_ffff;
}

/** A reusable search key (one per list: searches never overlap in single-threaded JS). */
export class Probe implements SearchKey {
  k0 = 0;
  k1 = 0;
  k2 = 0;
  k3 = 0;
  k4 = 0;
  k5 = 0;
  buf: Uint8Array = new Uint8Array(0);
  readonly koff = 0;
  klen = 0;
  seq = 0;

  set(key: Uint8Array, seq: number): this {
    const end = key.length;
    this.k0 = prefixWord(key, 0, end);
    this.k1 = prefixWord(key, 3, end);
    this.k2 = prefixWord(key, 6, end);
    this.k3 = prefixWord(key, 9, end);
    this.k4 = prefixWord(key, 12, end);
    this.k5 = prefixWord(key, 15, end);
    this.buf = key;
    this.klen = end;
    this.seq = seq;
    return this;
  }
}
