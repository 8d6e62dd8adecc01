/**
 * Decoding of a put's log entry (Command.put) by hand: the same message objects protobuf-es's
 * `fromBinary` builds (tests/kv/put_command_decoder_test.ts checks it on many inputs), without
 * its generic reflection walk. Every replica decodes every entry it applies, so at many writes
 * in flight this was a visible share of a follower's apply (bench/RESULTS.md, "3-node put: CPU
 * per write"). Byte fields are views into the entry, as protobuf-es makes them. Undefined for
 * anything but the plain encoding of a put (another body, an unknown or repeated field of the
 * put, a wire type or value out of range): the caller then decodes with protobuf-es, whose
 * checks stay the judge of unusual input.
 */
import { BAIL, ProtoReader } from "../util/proto_reader.ts";
import type { Command, PutRequest } from "../gen/tinykv/v1/tinykv_pb.ts";

const EMPTY = new Uint8Array(0);
/** Command.put = 10, length-delimited. */
const PUT_TAG = (10 << 3) | 2;
const INT32_MAX = 0x7fff_ffff;

/** PutRequest's fields by tag (field number << 3 | wire type), as the encoder writes them. */
const Tag = {
  Key: 0x0a, // key = 1, bytes
  Value: 0x12, // value = 2, bytes
  Condition: 0x18, // condition = 3
  ReturnPrevious: 0x20, // return_previous = 4
  Lease: 0x28, // lease = 5
  TtlMs: 0x30, // ttl_ms = 6
  ExpireAtMs: 0x38, // expire_at_ms = 7
  KeepTtl: 0x40, // keep_ttl = 8
} as const;

/** One field of the put into `p`; false when the fast path does not take it. */
function putField(r: ProtoReader, p: PutRequest, tag: number): boolean {
  if (tag === Tag.Key || tag === Tag.Value) {
    const b = r.bytes();
    if (b === undefined) return false;
    if (tag === Tag.Key) p.key = b;
    else p.value = b;
    return true;
  }
  const n = r.varint();
  if (n === BAIL) return false;
  switch (tag) {
    case Tag.Condition:
      if (n > INT32_MAX) return false;
      p.condition = n;
      return true;
    case Tag.ReturnPrevious:
    case Tag.KeepTtl:
      if (n > 1) return false;
      if (tag === Tag.KeepTtl) p.keepTtl = n === 1;
      else p.returnPrevious = n === 1;
      return true;
    case Tag.Lease:
      p.lease = BigInt(n);
      return true;
    case Tag.TtlMs:
      p.ttlMs = BigInt(n);
      return true;
    case Tag.ExpireAtMs:
      p.expireAtMs = BigInt(n);
      return true;
  }
  return false;
}

function put(r: ProtoReader, end: number): PutRequest | undefined {
  const p: PutRequest = {
    $typeName: "tinykv.v1.PutRequest",
    key: EMPTY,
    value: EMPTY,
    condition: 0,
    returnPrevious: false,
    lease: 0n,
    ttlMs: 0n,
    expireAtMs: 0n,
    keepTtl: false,
  };
  const outer = r.enter(end);
  let seen = 0; // a field given twice is left to protobuf-es (last one wins, or a merge)
  while (r.pos < r.end) {
    const tag = r.varint();
    const bit = 1 << (tag >> 3);
    if (tag === BAIL || tag > Tag.KeepTtl || (seen & bit) !== 0) return undefined;
    seen |= bit;
    if (!putField(r, p, tag)) return undefined;
  }
  return r.leave(outer) ? p : undefined;
}

/** The put command in `data`, or undefined when protobuf-es must decode it. */
export function decodePutCommand(data: Uint8Array): Command | undefined {
  const r = new ProtoReader(data);
  const ids = [0, 0, 0, 0];
  let value: PutRequest | undefined;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x08 || tag === 0x10 || tag === 0x18 || tag === 0x20) {
      const n = r.varint();
      if (n === BAIL) return undefined;
      ids[(tag >> 3) - 1] = n;
    } else if (tag === PUT_TAG && value === undefined) {
      const end = r.delimitedEnd();
      if (end === BAIL) return undefined;
      value = put(r, end);
      if (value === undefined) return undefined;
    } else return undefined;
  }
  if (value === undefined) return undefined;
  return {
    $typeName: "tinykv.v1.Command",
    clientId: BigInt(ids[0]),
    sequence: BigInt(ids[1]),
    ackedSequence: BigInt(ids[2]),
    body: { case: "put", value },
    proposedAtMs: BigInt(ids[3]),
  };
}
