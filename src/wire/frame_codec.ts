/**
 * Protobuf frames on the TCP port (docs/design.md §4): each frame is a u32 length
 * prefix (src/util/frame.ts) around one encoded `tinykv.v1.Frame`. Decoding is
 * a gateway: bytes from a socket become a typed Frame or a `WireError`,
 * never an exception of another kind and never a crash.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Frame, FrameSchema } from "../gen/tinykv/v1/tinykv_pb.ts";
import { encodeFrame } from "../util/frame.ts";
import { concatBytes } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import { decodeHotRequestFrame, decodeHotResponseFrame } from "./client_hot_codec.ts";

/** The first byte of a Frame whose body is a request (field 2) or a response (field 3). */
const HOT_REQUEST_TAG = 2 << 3 | 2;
const HOT_RESPONSE_TAG = 3 << 3 | 2;

/** Bytes that are not a valid Frame. The connection should be closed. */
export class WireError extends Error {
  override name = "WireError";
}

/** A frame body as `create()` accepts it: messages or plain init objects. */
export type FrameBody = MessageInitShape<typeof FrameSchema>["body"];

/** Encodes a frame body with its length prefix, ready to write to a socket. */
export function encodeWireFrame(body: FrameBody): Uint8Array {
  return encodeFrame(toBinary(FrameSchema, create(FrameSchema, { body })));
}

/** Frames at least this large are written as two parts (prefix, payload) instead of copied. */
const FRAME_PARTS_MIN_BYTES = 64 * 1024;

/**
 * Like `encodeWireFrame`, but a large frame comes back as its 4-byte length
 * prefix and its payload, to be written one after the other: prefixing would
 * copy the payload once more (100 MiB values, docs/limits.md).
 */
export function encodeWireFrameParts(body: FrameBody): Uint8Array[] {
  const payload = toBinary(FrameSchema, create(FrameSchema, { body }));
  if (payload.length < FRAME_PARTS_MIN_BYTES) return [encodeFrame(payload)];
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, payload.length, false);
  return [prefix, payload];
}

/**
 * Writes queued frame parts: small ones coalesced into one socket write,
 * large ones written as they are (no copy).
 */
export function writeParts(write: (bytes: Uint8Array) => void, parts: Uint8Array[]): void {
  if (parts.length === 1) return write(parts[0]);
  let small: Uint8Array[] = [];
  const flushSmall = () => {
    if (small.length > 0) write(small.length === 1 ? small[0] : concatBytes(small));
    small = [];
  };
  for (const p of parts) {
    if (p.length < FRAME_PARTS_MIN_BYTES) small.push(p);
    else {
      flushSmall();
      write(p);
    }
  }
  flushSmall();
}

/** Decodes one frame payload (without its length prefix). */
export function decodeWireFrame(payload: Uint8Array): Frame {
  // A put, get or delete request and a write or get answer are read by hand (client_hot_codec.ts).
  const first = payload[0];
  const hot = first === HOT_REQUEST_TAG
    ? decodeHotRequestFrame(payload)
    : first === HOT_RESPONSE_TAG
    ? decodeHotResponseFrame(payload)
    : undefined;
  if (hot !== undefined) return hot;
  let frame: Frame;
  try {
    frame = fromBinary(FrameSchema, payload);
  } catch (err) {
    throw new WireError(`malformed frame: ${errorMessage(err)}`);
  }
  if (frame.body.case === undefined) throw new WireError("frame has no body");
  return frame;
}
