/**
 * Protobuf frames on the TCP port (DESIGN §4): each frame is a u32 length
 * prefix (src/util/frame.ts) around one encoded `tinykv.v1.Frame`. Decoding is
 * a gateway: bytes from a socket become a typed Frame or a `WireError`,
 * never an exception of another kind and never a crash.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Frame, FrameSchema } from "../gen/tinykv/v1/tinykv_pb.ts";
import { encodeFrame } from "../util/frame.ts";
import { errorMessage } from "../util/errors.ts";

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

/** Decodes one frame payload (without its length prefix). */
export function decodeWireFrame(payload: Uint8Array): Frame {
  let frame: Frame;
  try {
    frame = fromBinary(FrameSchema, payload);
  } catch (err) {
    throw new WireError(`malformed frame: ${errorMessage(err)}`);
  }
  if (frame.body.case === undefined) throw new WireError("frame has no body");
  return frame;
}
