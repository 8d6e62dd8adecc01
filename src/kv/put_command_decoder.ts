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
import { readPutRequest } from "../wire/put_request_decode.ts";

/** Command.put = 10, length-delimited. */
const PUT_TAG = (10 << 3) | 2;

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
      value = readPutRequest(r, end);
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
