/**
 * The answers of the client port's hot path read by hand (see client_hot_codec.ts): a write or
 * get result without an error (an error carries regions: protobuf-es reads it).
 */
import type { Frame } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { ProtoReader } from "../util/proto_reader.ts";
import { CLIENT_RESPONSE, GET_RESPONSE, WRITE_RESPONSE } from "./client_hot_specs.ts";
import {
  body,
  bool,
  decodeFramed,
  type Message,
  readFields,
  sub,
  U32_MAX,
  u64,
  uintUpTo,
} from "./hot_read.ts";

const FRAME_RESPONSE_TAG = 3 << 3 | 2; // Frame.response

function readWrite(r: ProtoReader): Message | undefined {
  const m = WRITE_RESPONSE.make();
  const ok = readFields(r, (tag) => {
    switch (tag) {
      case 0x08:
        return (m.index = u64(r)) !== undefined;
      case 0x10:
        return (m.existed = bool(r)) !== undefined;
      case 0x18:
        return (m.applied = bool(r)) !== undefined;
      case 0x22:
        return (m.previousValue = r.bytes()) !== undefined;
      case 0x28: // int64: a negative counter is a 10-byte varint, left to protobuf-es
        return (m.counter = u64(r)) !== undefined;
      case 0x30:
        return (m.deleted = uintUpTo(r, U32_MAX)) !== undefined;
      case 0x38:
        return (m.revision = u64(r)) !== undefined;
    }
    return false;
  });
  return ok ? m : undefined;
}

function readGetAnswer(r: ProtoReader): Message | undefined {
  const m = GET_RESPONSE.make();
  const ok = readFields(r, (tag) => {
    switch (tag) {
      case 0x08:
        return (m.found = bool(r)) !== undefined;
      case 0x12:
        return (m.value = r.bytes()) !== undefined;
      case 0x18:
        return (m.modRevision = u64(r)) !== undefined;
      case 0x20:
        return (m.createRevision = u64(r)) !== undefined;
      case 0x28:
        return (m.version = u64(r)) !== undefined;
      case 0x30:
        return (m.lease = u64(r)) !== undefined;
      case 0x38:
        return (m.revision = u64(r)) !== undefined;
      case 0x40:
        return (m.expireAtMs = u64(r)) !== undefined;
    }
    return false;
  });
  return ok ? m : undefined;
}

/** An answer without an error (an error carries regions: protobuf-es reads it). */
function readResponse(r: ProtoReader): Message | undefined {
  const m = CLIENT_RESPONSE.make();
  const ok = readFields(r, (tag) => {
    if (tag === 0x08) return (m.requestId = u64(r)) !== undefined;
    if (tag === 0x52) return body(m, "write", sub(r, readWrite));
    if (tag === 0x5a) return body(m, "get", sub(r, readGetAnswer));
    return false;
  });
  return ok ? m : undefined;
}

/** A response frame's payload with a write or get body and no error, or undefined. */
export function decodeHotResponseFrame(payload: Uint8Array): Frame | undefined {
  return decodeFramed(payload, FRAME_RESPONSE_TAG, "response", readResponse);
}
