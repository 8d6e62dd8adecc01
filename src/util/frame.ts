/**
 * Length-prefixed frames for the protobuf TCP port (docs/design.md §4):
 *
 *   frame := length:u32 big-endian, payload[length]
 *
 * `FrameDecoder` is incremental: it accepts chunks as the socket delivers
 * them and yields whole payloads. The declared length is checked against the
 * limit as soon as the 4-byte prefix arrives, and the payload's buffer grows
 * as its bytes arrive (filling_buffer.ts), so a peer cannot make a node
 * allocate by lying about a length.
 */
import { assert } from "./assert.ts";
import { FillingBuffer } from "./filling_buffer.ts";

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;
/** The prefix is a u32, so no frame can be larger than this. */
const FRAME_PREFIX_MAX = 0xffff_ffff;

/** A frame whose declared length exceeds the limit. The connection should be closed. */
export class FrameTooLargeError extends Error {
  override name = "FrameTooLargeError";
  readonly code = "TOO_LARGE" as const;
  constructor(readonly declaredBytes: number, readonly limitBytes: number) {
    super(`Frame of ${declaredBytes} bytes exceeds the ${limitBytes}-byte limit`);
  }
}

/** Prefixes `payload` with its length. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > FRAME_PREFIX_MAX) {
    assert(false, `frame payload of ${payload.length} bytes too large`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const n = payload.length;
  out[0] = n >>> 24;
  out[1] = n >>> 16;
  out[2] = n >>> 8;
  out[3] = n;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Incremental decoder; one per connection. */
export class FrameDecoder {
  /** Bytes of a partial frame (header or payload) carried between chunks. */
  #partial: FillingBuffer | null = null;
  /** Payload length of the frame being assembled, or -1 while reading the header. */
  #want = -1;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerBytes = 0;

  /**
   * `frameBytesMax`: the port's limit (FRAME_BYTES_MAX in src/limits.ts for the protobuf port);
   * `bufferStartBytes`: a payload's first buffer (ANNOUNCED_BUFFER_START_BYTES), grown as it fills.
   */
  constructor(readonly frameBytesMax: number, readonly bufferStartBytes: number) {
    assert(frameBytesMax >= 0 && frameBytesMax <= FRAME_PREFIX_MAX, "frame limit out of range");
  }

  /** Bytes buffered for the frame in progress (for memory accounting). */
  get bufferedBytes(): number {
    return this.#headerBytes + (this.#partial?.filled ?? 0);
  }

  /**
   * Feeds a chunk; returns the payloads it completed (views that stay valid).
   * Throws `FrameTooLargeError` when a header declares an oversized frame.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#want < 0) {
        // Fast path: a whole frame inside the chunk needs no copy.
        if (this.#headerBytes === 0 && chunk.length - at >= FRAME_HEADER_BYTES) {
          const len = readU32BE(chunk, at);
          this.#checkLength(len);
          if (chunk.length - at - FRAME_HEADER_BYTES >= len) {
            out.push(chunk.slice(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + len));
            at += FRAME_HEADER_BYTES + len;
            continue;
          }
        }
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerBytes, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerBytes);
        this.#headerBytes += take;
        at += take;
        if (this.#headerBytes < FRAME_HEADER_BYTES) break;
        const len = readU32BE(this.#header, 0);
        this.#checkLength(len);
        this.#want = len;
        this.#partial = new FillingBuffer(len, this.bufferStartBytes);
      }
      const partial = this.#partial;
      assert(partial !== null, "frame buffer present while reading a payload");
      const take = Math.min(this.#want - partial.filled, chunk.length - at);
      partial.append(chunk.subarray(at, at + take));
      at += take;
      if (partial.done) {
        out.push(partial.bytes());
        this.#partial = null;
        this.#want = -1;
        this.#headerBytes = 0;
      }
    }
    return out;
  }

  #checkLength(len: number): void {
    if (len > this.frameBytesMax) throw new FrameTooLargeError(len, this.frameBytesMax);
  }
}

function readU32BE(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
