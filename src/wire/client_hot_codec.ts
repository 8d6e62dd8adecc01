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
import type { ProtoReader } from "../util/proto_reader.ts";
import {
  ascii,
  body,
  bool,
  decodeFramed,
  fresh,
  I32_MAX,
  type Message,
  sub,
  U32_MAX,
  u64,
  uintUpTo,
} from "./hot_read.ts";
import {
  CLIENT_REQUEST,
  DELETE_REQUEST,
  GET_REQUEST,
  PUT_REQUEST,
  REGION_EPOCH,
  REGION_ROUTE,
} from "./client_hot_specs.ts";

const FRAME_REQUEST_TAG = 2 << 3 | 2; // Frame.request

// ---- reading ----

function readPut(r: ProtoReader): Message | undefined {
  const m = PUT_REQUEST.make();
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || !field(tag)) return undefined;
  }
  return m;
  function field(tag: number): boolean {
    switch (tag) {
      case 0x0a:
        return (m.key = r.bytes()) !== undefined;
      case 0x12:
        return (m.value = r.bytes()) !== undefined;
      case 0x18:
        return (m.condition = uintUpTo(r, I32_MAX)) !== undefined;
      case 0x20:
        return (m.returnPrevious = bool(r)) !== undefined;
      case 0x28:
        return (m.lease = u64(r)) !== undefined;
      case 0x30:
        return (m.ttlMs = u64(r)) !== undefined;
      case 0x38:
        return (m.expireAtMs = u64(r)) !== undefined;
      case 0x40:
        return (m.keepTtl = bool(r)) !== undefined;
    }
    return false;
  }
}

function readGet(r: ProtoReader): Message | undefined {
  const m = GET_REQUEST.make();
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || !field(tag)) return undefined;
  }
  return m;
  function field(tag: number): boolean {
    if (tag === 0x0a) return (m.key = r.bytes()) !== undefined;
    if (tag === 0x10) return (m.consistency = uintUpTo(r, I32_MAX)) !== undefined;
    if (tag === 0x18) return (m.revision = u64(r)) !== undefined;
    return false;
  }
}

function readDelete(r: ProtoReader): Message | undefined {
  const m = DELETE_REQUEST.make();
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || tag !== 0x0a || (m.key = r.bytes()) === undefined) return undefined;
  }
  return m;
}

function readEpoch(r: ProtoReader): Message | undefined {
  const m = REGION_EPOCH.make();
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || !field(tag)) return undefined;
  }
  return m;
  function field(tag: number): boolean {
    if (tag === 0x08) return (m.version = u64(r)) !== undefined;
    if (tag === 0x10) return (m.confVer = u64(r)) !== undefined;
    return false;
  }
}

function readRoute(r: ProtoReader): Message | undefined {
  const m = REGION_ROUTE.make();
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || !field(tag)) return undefined;
  }
  return m;
  function field(tag: number): boolean {
    if (tag === 0x08) return (m.regionId = u64(r)) !== undefined;
    if (tag === 0x12) return (m.epoch = sub(r, readEpoch)) !== undefined;
    return false;
  }
}

function readRequest(r: ProtoReader): Message | undefined {
  const m = CLIENT_REQUEST.make();
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || !field(tag)) return undefined;
  }
  return m;
  function field(tag: number): boolean {
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
      case 0x52:
        return body(m, "put", sub(r, readPut));
      case 0x5a:
        return body(m, "get", sub(r, readGet));
      case 0x62:
        return body(m, "delete", sub(r, readDelete));
    }
    return false;
  }
}

/** A request frame's payload with a put, get or delete body, or undefined (the generic path). */
export function decodeHotRequestFrame(payload: Uint8Array): Frame | undefined {
  return decodeFramed(payload, FRAME_REQUEST_TAG, "request", readRequest);
}

export { encodeHotRequestFrame } from "./client_hot_encode.ts";
export { decodeHotResponseFrame } from "./client_hot_answers.ts";
