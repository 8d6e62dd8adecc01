/**
 * A command's name as a string in one case, for table lookups. Every command's name is read this
 * way several times (the port's checks, the dispatch, the executor), so a short ASCII name is
 * built byte by byte: about 5× cheaper than the UTF-8 decoder plus a case change (Bun, 2026).
 */
import { fromUtf8 } from "../../util/bytes.ts";

/** Longer names (none of the table's) take the decoder. */
const SHORT_NAME_BYTES = 24;

const UPPER_A = 0x41, UPPER_Z = 0x5a, LOWER_A = 0x61, LOWER_Z = 0x7a, CASE = 0x20;

/**
 * Names of at most CACHED_NAME_BYTES bytes (SET, GET, HSET, EXPIRE, ...) are kept once made,
 * keyed by their bytes and length as one number: a pipelined command's name is then a lookup,
 * not a new string, wherever it is read. At most CACHED_NAMES spellings per case are kept
 * (what a client typed is not trusted to be few); past that, names are built as before.
 */
const CACHED_NAME_BYTES = 6;
const CACHED_NAMES = 512;
const upperCache = new Map<number, string>();
const lowerCache = new Map<number, string>();

/** The cache key of a short name (bytes little-endian, then the length), or -1. */
function nameCode(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > CACHED_NAME_BYTES) return -1;
  let code = n;
  for (let i = n - 1; i >= 0; i--) code = code * 256 + bytes[i];
  return code;
}

export function upperName(bytes: Uint8Array): string {
  const code = nameCode(bytes);
  if (code < 0) return buildUpper(bytes);
  let s = upperCache.get(code);
  if (s === undefined) {
    s = buildUpper(bytes);
    if (upperCache.size < CACHED_NAMES) upperCache.set(code, s);
  }
  return s;
}

export function lowerName(bytes: Uint8Array): string {
  const code = nameCode(bytes);
  if (code < 0) return buildLower(bytes);
  let s = lowerCache.get(code);
  if (s === undefined) {
    s = buildLower(bytes);
    if (lowerCache.size < CACHED_NAMES) lowerCache.set(code, s);
  }
  return s;
}

function buildUpper(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_NAME_BYTES) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (c >= 0x80) return fromUtf8(bytes).toUpperCase();
      s += String.fromCharCode(c >= LOWER_A && c <= LOWER_Z ? c - CASE : c);
    }
    return s;
  }
  return fromUtf8(bytes).toUpperCase();
}

function buildLower(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_NAME_BYTES) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (c >= 0x80) return fromUtf8(bytes).toLowerCase();
      s += String.fromCharCode(c >= UPPER_A && c <= UPPER_Z ? c + CASE : c);
    }
    return s;
  }
  return fromUtf8(bytes).toLowerCase();
}
