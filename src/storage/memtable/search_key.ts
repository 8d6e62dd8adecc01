/**
 * How the memtable's skiplist orders and compares keys: byte strings, and six small
 * integers holding a key's first 18 bytes that a node keeps inline, so most comparisons
 * never load the key string.
 */
/**
 * The key as a string of code units 0–255, one per byte: JS compares such strings
 * natively in unsigned byte order, several times faster than a byte loop.
 */
export function byteString(key: Uint8Array): string {
  if (key.length <= 8192) return String.fromCharCode.apply(null, key as unknown as number[]);
  let s = "";
  for (let i = 0; i < key.length; i += 8192) s += byteString(key.subarray(i, i + 8192));
  return s;
}

/**
 * Key bytes packed into each prefix word, as base-257 digits (byte+1; 0 past the end of
 * the key): 257^3 < 2^30, so a word is a small integer both engines keep unboxed in the
 * node, and numeric order of the words is the unsigned byte order of the keys.
 */
const WORD_BYTES = 3;
/** Key bytes the six prefix words cover; longer keys that tie fall back to strings. */
const PREFIX_BYTES = 6 * WORD_BYTES;

export function prefixWord(buf: Uint8Array, at: number, end: number): number {
  const b0 = at < end ? buf[at] + 1 : 0;
  const b1 = at + 1 < end ? buf[at + 1] + 1 : 0;
  const b2 = at + 2 < end ? buf[at + 2] + 1 : 0;
  return (b0 * 257 + b1) * 257 + b2;
}

/**
 * What a search compares against: the key's first 18 bytes as six integers kept inline
 * in the node (a comparison then rarely loads the key string, and those loads, a cache
 * miss per node visited, were most of an insert's time), then the byte string, then
 * the sequence.
 */
export interface SearchKey {
  readonly k0: number;
  readonly k1: number;
  readonly k2: number;
  readonly k3: number;
  readonly k4: number;
  readonly k5: number;
  readonly klen: number;
  readonly skey: string;
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
  if ((p.klen > PREFIX_BYTES || n.klen !== p.klen) && n.skey !== p.skey) return n.skey < p.skey;
  return n.seq > p.seq;
}

/** A reusable search key (one per list: searches never overlap in single-threaded JS). */
export class Probe implements SearchKey {
  k0 = 0;
  k1 = 0;
  k2 = 0;
  k3 = 0;
  k4 = 0;
  k5 = 0;
  klen = 0;
  skey = "";
  seq = 0;

  set(skey: string, key: Uint8Array, seq: number): this {
    const end = key.length;
    this.k0 = prefixWord(key, 0, end);
    this.k1 = prefixWord(key, 3, end);
    this.k2 = prefixWord(key, 6, end);
    this.k3 = prefixWord(key, 9, end);
    this.k4 = prefixWord(key, 12, end);
    this.k5 = prefixWord(key, 15, end);
    this.klen = end;
    this.skey = skey;
    this.seq = seq;
    return this;
  }
}
