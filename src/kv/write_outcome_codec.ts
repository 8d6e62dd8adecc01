/**
 * A plain write's outcome (put, delete, batch, compare-and-set, increment) encoded by hand:
 * every replica encodes the outcome of every write it applies (outcome_codec.ts), and
 * protobuf-es's `create` and `toBinary` walk the schema by reflection. The same bytes and the
 * same message as protobuf-es (tests/kv/write_outcome_codec_test.ts); anything unusual (an
 * error, a request id, a 64-bit number past 2^53, a negative counter) is left to protobuf-es.
 */
import type { ClientResponse, WriteResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import { varintLength, writeVarint } from "../util/coding.ts";
import type { Outcome } from "./apply.ts";
import { isSafeU64 } from "../util/ids.ts";

const EMPTY = new Uint8Array(0);

/** A varint field's bytes (tag, value), 0 when the value is the default. */
const varintField = (value: number) => value === 0 ? 0 : 1 + varintLength(value);

export function encodeWriteOutcome(
  outcome: Outcome,
): { bytes: Uint8Array; message: ClientResponse } | undefined {
  if (outcome.error !== undefined || (outcome.requestId ?? 0n) !== 0n) return undefined;
  const b = outcome.body;
  if (b?.case !== "write" || b.value === undefined) return undefined;
  const v = b.value;
  const index = v.index ?? 0n, counter = v.counter ?? 0n, revision = v.revision ?? 0n;
  const deleted = v.deleted ?? 0;
  if (!isSafeU64(index) || !isSafeU64(counter) || !isSafeU64(revision)) return undefined;
  if (!Number.isInteger(deleted) || deleted < 0 || deleted > 0xffff_ffff) return undefined;
  const existed = v.existed ?? false, applied = v.applied ?? false;
  const previousValue = v.previousValue ?? EMPTY;
  const prev = previousValue.length;
  const inner = varintField(Number(index)) + (existed ? 2 : 0) + (applied ? 2 : 0) +
    (prev === 0 ? 0 : 1 + varintLength(prev) + prev) + varintField(Number(counter)) +
    varintField(deleted) + varintField(Number(revision));
  const bytes = new Uint8Array(1 + varintLength(inner) + inner);
  bytes[0] = 0x52; // field 10 (write), length-delimited
  let at = writeVarint(bytes, 1, inner);
  const field = (tag: number, value: number) => {
    if (value === 0) return;
    bytes[at++] = tag;
    at = writeVarint(bytes, at, value);
  };
  field(0x08, Number(index));
  field(0x10, existed ? 1 : 0);
  field(0x18, applied ? 1 : 0);
  if (prev > 0) {
    bytes[at++] = 0x22;
    at = writeVarint(bytes, at, prev);
    bytes.set(previousValue, at);
    at += prev;
  }
  field(0x28, Number(counter));
  field(0x30, deleted);
  field(0x38, Number(revision));
  const value: WriteResponse = {
    $typeName: "tinykv.v1.WriteResponse",
    index,
    existed,
    applied,
    previousValue,
    counter,
    deleted,
    revision,
  };
  return {
    bytes,
    message: {
      $typeName: "tinykv.v1.ClientResponse",
      requestId: 0n,
      body: { case: "write", value },
    },
  };
}
