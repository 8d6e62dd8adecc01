/**
 * A PutRequest read by hand: the same message object protobuf-es's `fromBinary` builds, with its
 * byte fields views into the input, as protobuf-es makes them. Shared by the two places a put
 * arrives by the thousand: a client's request on the protobuf port (client_hot_codec.ts) and a
 * put's log entry at apply (src/kv/put_command_decoder.ts). Undefined for anything but the plain
 * encoding (tests/kv/put_command_decoder_test.ts, tests/wire/client_hot_codec_test.ts).
 */
import { BAIL, type ProtoReader } from "../util/proto_reader.ts";
import type { PutRequest } from "../gen/tinykv/v1/tinykv_pb.ts";

const EMPTY = new Uint8Array(0);
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

/** A PutRequest with every default, shaped as protobuf-es's `create()` makes it. */
export function emptyPutRequest(): PutRequest {
  return {
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
}

/**
 * The PutRequest from the reader's position to `end`, or undefined when protobuf-es must read it
 * (an unknown or repeated field, a wire type or value out of range). Leaves the reader at `end`
 * when it answers one.
 */
export function readPutRequest(r: ProtoReader, end: number): PutRequest | undefined {
  const p = emptyPutRequest();
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
