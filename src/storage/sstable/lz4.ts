/**
 * LZ4 block format (the raw sequence format, no frame, no checksum), written for
 * SSTable blocks (docs/decisions/0016-block-compression.md):
 *
 *   sequence := token:u8 [literal_len+:u8*] literal* [offset:u16le [match_len+:u8*]]
 *
 * The token's high nibble is the literal count, the low nibble the match length
 * minus 4; a nibble of 15 continues in bytes that add up until one is below 255.
 * The last sequence has literals only. A match copies `match_len` bytes from
 * `offset` bytes back in the output (it may overlap itself).
 *
 * The compressor is the greedy single-hash-table scheme: hash the next 4 bytes,
 * look up the last position with that hash, take the match if the bytes agree.
 * It gives up as soon as the output would not fit in `limit` bytes, so trying an
 * incompressible block costs little. The decompressor treats its input as
 * untrusted: every length and offset is checked, and it throws DecodeError.
 */
import { DecodeError } from "../../util/coding.ts";

const MIN_MATCH = 4;
/** A match must end at least this many bytes before the end (format rule). */
const LAST_LITERALS = 5;
/** And start at least this many bytes before the end (format rule). */
const MATCH_START_MARGIN = 12;
const MAX_OFFSET = 65535;
const HASH_BITS = 13;
/** After 2^SKIP_SHIFT bytes without a match, probe every 2nd byte, then every 3rd, ... */
const SKIP_SHIFT = 4;
/** Table entries are `position + base`; `base` moves past every input so old entries miss. */
const table = new Int32Array(1 << HASH_BITS);
let base = 1;
const BASE_RESET = 1 << 30;

function read32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function hash(seq: number): number {
  return Math.imul(seq, 2654435761) >>> (32 - HASH_BITS);
}

/** Writes a length continuation (the part beyond 15) at `op`; returns the new `op`. */
function writeLength(out: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    out[op++] = 255;
    rest -= 255;
  }
  out[op++] = rest;
  return op;
}

/** Worst-case bytes a sequence with `lit` literals and a match of `ml` takes. */
function sequenceBytes(lit: number, ml: number): number {
  return 1 + lit + Math.floor(lit / 255) + 1 + 2 + Math.floor(ml / 255) + 1;
}

/**
 * Compresses `src` into `out` from `op`, using at most `limit` bytes of `out` in all;
 * returns the end offset, or -1 when the result would not fit.
 */
export function lz4Compress(src: Uint8Array, out: Uint8Array, op: number, limit: number): number {
  const n = src.length;
  if (base > BASE_RESET) {
    table.fill(0);
    base = 1;
  }
  const b = base;
  base += n + 1;
  let anchor = 0;
  let ip = 0;
  const matchStartLimit = n - MATCH_START_MARGIN;
  const matchEndLimit = n - LAST_LITERALS;
  while (ip < matchStartLimit) {
    const seq = read32(src, ip);
    const h = hash(seq);
    const ref = table[h] - b;
    table[h] = ip + b;
    if (ref < 0 || ip - ref > MAX_OFFSET || read32(src, ref) !== seq) {
      ip += 1 + ((ip - anchor) >> SKIP_SHIFT); // step faster through data that does not match
      if (op + Math.min(ip, n) - anchor > limit) return -1; // the literals alone overflow
      continue;
    }
    let end = ip + MIN_MATCH;
    let r = ref + MIN_MATCH;
    while (end < matchEndLimit && src[end] === src[r]) {
      end++;
      r++;
    }
    const lit = ip - anchor;
    const ml = end - ip - MIN_MATCH;
    if (op + sequenceBytes(lit, ml) > limit) return -1;
    const token = op++;
    out[token] = (Math.min(lit, 15) << 4) | Math.min(ml, 15);
    if (lit >= 15) op = writeLength(out, op, lit - 15);
    for (let i = anchor; i < ip; i++) out[op++] = src[i];
    const offset = ip - ref;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    if (ml >= 15) op = writeLength(out, op, ml - 15);
    ip = end;
    anchor = end;
    if (ip - 2 < matchStartLimit) table[hash(read32(src, ip - 2))] = ip - 2 + b;
  }
  const lit = n - anchor;
  if (op + sequenceBytes(lit, 0) > limit) return -1;
  out[op++] = Math.min(lit, 15) << 4;
  if (lit >= 15) op = writeLength(out, op, lit - 15);
  out.set(src.subarray(anchor, n), op);
  return op + lit;
}

/** Where `readLength` stopped (a module variable: no tuple per call on the hot path). */
let lengthEnd = 0;

/** Reads a length continuation at `ip`; returns the added length, sets `lengthEnd`. */
function readLength(src: Uint8Array, ip: number, end: number): number {
  let len = 0;
  for (;;) {
    if (ip >= end) throw new DecodeError("lz4: truncated length", ip);
    const b = src[ip++];
    len += b;
    if (b !== 255) {
      lengthEnd = ip;
      return len;
    }
  }
}

/**
 * Decompresses `src[start, end)` into `out`, which must come out exactly full.
 * Throws DecodeError (offset within `src`) on any malformed input.
 */
export function lz4Decompress(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  const n = out.length;
  let ip = start;
  let op = 0;
  for (;;) {
    if (ip >= end) throw new DecodeError("lz4: missing final literals", ip);
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      lit += readLength(src, ip, end);
      ip = lengthEnd;
    }
    if (lit > end - ip || lit > n - op) throw new DecodeError("lz4: literals overrun", ip);
    if (lit < 32) { for (let i = 0; i < lit; i++) out[op++] = src[ip++]; }
    else {
      out.set(src.subarray(ip, ip + lit), op);
      ip += lit;
      op += lit;
    }
    if (ip === end) break;
    if (end - ip < 2) throw new DecodeError("lz4: truncated match offset", ip);
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new DecodeError("lz4: bad match offset", ip - 2);
    let ml = token & 15;
    if (ml === 15) {
      ml += readLength(src, ip, end);
      ip = lengthEnd;
    }
    ml += MIN_MATCH;
    if (ml > n - op) throw new DecodeError("lz4: match overruns the block", ip);
    if (offset >= ml && ml >= 32) {
      out.copyWithin(op, op - offset, op - offset + ml); // no overlap: one native copy
      op += ml;
    } else for (let from = op - offset, stop = op + ml; op < stop;) out[op++] = out[from++];
  }
  if (op !== n) throw new DecodeError(`lz4: decoded ${op} bytes, expected ${n}`, ip);
}

/**
 * Decompresses as much of `src[start, end)` as fits into `out` and as the input holds — the
 * start of a block whose stored bytes were read only in part (block_peek.ts). Returns the bytes
 * decoded; a sequence the input ends in the middle of ends the output there, not in an error.
 * Throws DecodeError on input that is malformed where it was read.
 */
export function lz4DecompressPrefix(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): number {
  const n = out.length;
  let ip = start;
  let op = 0;
  while (ip < end && op < n) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      if (!lengthFits(src, ip, end)) return op;
      lit += readLength(src, ip, end);
      ip = lengthEnd;
    }
    const take = Math.min(lit, end - ip, n - op);
    out.set(src.subarray(ip, ip + take), op);
    ip += take;
    op += take;
    if (take < lit || end - ip < 2) return op;
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new DecodeError("lz4: bad match offset", ip - 2);
    let ml = token & 15;
    if (ml === 15) {
      if (!lengthFits(src, ip, end)) return op;
      ml += readLength(src, ip, end);
      ip = lengthEnd;
    }
    const stop = Math.min(op + ml + MIN_MATCH, n);
    for (let from = op - offset; op < stop;) out[op++] = out[from++];
  }
  return op;
}

/** Whether a length continuation at `ip` ends before `end`. */
function lengthFits(src: Uint8Array, ip: number, end: number): boolean {
  while (ip < end) if (src[ip++] !== 255) return true;
  return false;
}
