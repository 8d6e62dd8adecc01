/**
 * The client port's commonest frames by hand: a request whose body is a put, get or delete, read
 * by the node and written by the client; an answer whose body is a write or get result, read by
 * the client. The bytes are exactly protobuf-es's (fields in number order, zero values left out),
 * so each side interoperates with the other's generic path. Reading takes only that canonical form
 * and answers undefined for anything else — an unknown or repeated field, a wrong wire type, a
 * number past 2^53, a non-ASCII string, truncation — and writing answers undefined for what it
 * does not write; the caller then takes protobuf-es (frame_codec.ts) with its checks and errors.
 * The messages made are shaped as protobuf-es makes them (client_hot_specs.ts).
 */
import type { Frame } from "../gen/tinykv/v1/tinykv_pb.ts";
import { BAIL, type ProtoReader } from "../util/proto_reader.ts";
import { readPutRequest } from "./put_request_decode.ts";
import {
  ascii,
  body,
  decodeFramed,
  I32_MAX,
  type Message,
  readFields,
  sub,
  U32_MAX,
  u64,
  uintUpTo,
} from "./hot_read.ts";
import {
  CLIENT_REQUEST,
  DELETE_REQUEST,
  GET_REQUEST,
  REGION_EPOCH,
  REGION_ROUTE,
} from "./client_hot_specs.ts";

const FRAME_REQUEST_TAG = 2 << 3 | 2; // Frame.request

// ---- reading ----

function readGet(r: ProtoReader): Message | undefined {
  const m = GET_REQUEST.make();
  const ok = readFields(r, (tag) => {
    if (tag === 0x0a) return (m.key = r.bytes()) !== undefined;
    if (tag === 0x10) return (m.consistency = uintUpTo(r, I32_MAX)) !== undefined;
    if (tag === 0x18) return (m.revision = u64(r)) !== undefined;
    return false;
  });
  return ok ? m : undefined;
}

function readDelete(r: ProtoReader): Message | undefined {
  const m = DELETE_REQUEST.make();
  return readFields(r, (tag) => tag === 0x0a && (m.key = r.bytes()) !== undefined) ? m : undefined;
}

function readEpoch(r: ProtoReader): Message | undefined {
  const m = REGION_EPOCH.make();
  const ok = readFields(r, (tag) => {
    if (tag === 0x08) return (m.version = u64(r)) !== undefined;
    if (tag === 0x10) return (m.confVer = u64(r)) !== undefined;
    return false;
  });
  return ok ? m : undefined;
}

function readRoute(r: ProtoReader): Message | undefined {
  const m = REGION_ROUTE.make();
  const ok = readFields(r, (tag) => {
    if (tag === 0x08) return (m.regionId = u64(r)) !== undefined;
    if (tag === 0x12) return (m.epoch = sub(r, readEpoch)) !== undefined;
    return false;
  });
  return ok ? m : undefined;
}

function readRequest(r: ProtoReader): Message | undefined {
  const m = CLIENT_REQUEST.make();
  const ok = readFields(r, (tag) => {
    switch (tag) {
      case 0x08:
        return (m.requestId = u64(r)) !== undefined;
      case 0x10:
        return (m.clientId = u64(r)) !== undefined;
      case 0x18:
        return (m.sequence = u64(r)) !== undefined;
      case 0x20:
        return (m.timeoutMs = uintUpTo(r, U32_MAX)) !== undefined;
      case 0x28:
        return (m.ackedSequence = u64(r)) !== undefined;
      case 0x32:
        return (m.adminToken = ascii(r)) !== undefined;
      case 0x3a:
        return (m.authToken = ascii(r)) !== undefined;
      case 0x42:
        return (m.route = sub(r, readRoute)) !== undefined;
      case 0x52: {
        const end = r.delimitedEnd();
        return end !== BAIL && body(m, "put", readPutRequest(r, end));
      }
      case 0x5a:
        return body(m, "get", sub(r, readGet));
      case 0x62:
        return body(m, "delete", sub(r, readDelete));
    }
    return false;
  });
  return ok ? m : undefined;
}

/** A request frame's payload with a put, get or delete body, or undefined (the generic path). */
export function decodeHotRequestFrame(payload: Uint8Array): Frame | undefined {
  return decodeFramed(payload, FRAME_REQUEST_TAG, "request", readRequest);
}

export { encodeHotRequestFrame } from "./client_hot_encode.ts";
export { decodeHotResponseFrame } from "./client_hot_answers.ts";
