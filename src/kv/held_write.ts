/**
 * A write a WriteSet holds (write_set.ts): a large value's record stays as its head and value
 * (key_record.ts `RecordBytes`) until the engine's batch copies the two, or a read in the pass
 * asks for it whole.
 */
import type { WriteOp } from "../storage/db.ts";
import type { RecordBytes } from "./key_record.ts";
import { concatBytes } from "../util/bytes.ts";

/** A write held by the set: a large record stays as its head and value (key_record.ts). */
export interface HeldWrite {
  readonly key: Uint8Array;
  value: RecordBytes | null;
}

export function heldBytes(v: RecordBytes | null): number {
  if (v === null) return 0;
  return v instanceof Uint8Array ? v.length : v[0].length + v[1].length;
}

/** The record as one array: a large one's parts joined, once, when a read asks for it. */
export function joined(w: HeldWrite): Uint8Array | null {
  const v = w.value;
  if (v === null || v instanceof Uint8Array) return v;
  return w.value = concatBytes(v);
}

/** The engine operation of a held write. */
export function opOf({ key, value }: HeldWrite): WriteOp {
  if (value === null) return { type: "del", key };
  return value instanceof Uint8Array
    ? { type: "put", key, value }
    : { type: "putParts", key, parts: value };
}
