/**
 * 64-bit wire fields (protobuf-es decodes uint64 as bigint) meet TinyKV's
 * safe-integer numbers here. Every id, term, index, version and sequence in
 * TinyKV is a `number` below 2^53; a larger value from the network is
 * malformed input and is rejected, never rounded.
 */
import { DecodeError } from "./coding.ts";

/** 2^53 - 1 as a bigint: the largest u64 a TinyKV number holds. */
export const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Whether a decoded u64 fits a TinyKV number (0 .. 2^53 - 1). */
export function isSafeU64(value: bigint): boolean {
  return value >= 0n && value <= SAFE_MAX;
}

/** Converts a decoded u64 to a number, or throws DecodeError naming the field. */
export function u64ToNumber(value: bigint, field: string): number {
  if (value < 0n || value > SAFE_MAX) throw new DecodeError(`${field} ${value} exceeds 2^53`, 0);
  return Number(value);
}

/** Converts a safe non-negative integer to a u64 for encoding. */
export function numberToU64(value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${value} is not a non-negative safe integer`);
  }
  return BigInt(value);
}
