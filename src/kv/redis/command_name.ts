/**
 * A command's name as a string in one case, for table lookups. Every command's name is read this
 * way several times (the port's checks, the dispatch, the executor), so a short ASCII name is
 * built byte by byte: about 5× cheaper than the UTF-8 decoder plus a case change (Bun, 2026).
 */
import { fromUtf8 } from "../../util/bytes.ts";

/** Longer names (none of the table's) take the decoder. */
const SHORT_NAME_BYTES = 24;

const UPPER_A = 0x41, UPPER_Z = 0x5a, LOWER_A = 0x61, LOWER_Z = 0x7a, CASE = 0x20;

export function upperName(bytes: Uint8Array): string {
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

export function lowerName(bytes: Uint8Array): string {
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
