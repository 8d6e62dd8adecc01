/**
 * The byte reader of the hand-written protobuf decoders (the hot Raft messages in
 * src/wire/raft_hot_decode.ts, the RESP log entries in src/kv/redis_command_decoder.ts): plain
 * wire-format varints and length-delimited fields, answering BAIL (or undefined) for anything
 * the fast paths do not take, so that the caller falls back to protobuf-es.
 */

/** Returned by the reader when the bytes are not what the fast path takes. */
export const BAIL = -1;
const SAFE = Number.MAX_SAFE_INTEGER;

export class ProtoReader {
  pos: number;
  end: number;
  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  /** A varint up to 2^53 - 1, or BAIL (truncated, too long or too large). */
  varint(): number {
    const buf = this.buf;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) return BAIL;
      const b = buf[this.pos++];
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n > SAFE ? BAIL : n;
      scale *= 0x80;
    }
    return BAIL; // 8 bytes of varint already exceed 2^53
  }

  /** The end of a length-delimited field that starts here, or BAIL (truncated). */
  delimitedEnd(): number {
    const len = this.varint();
    return len === BAIL || len > this.end - this.pos ? BAIL : this.pos + len;
  }

  /** The bytes of a length-delimited field (a view), or undefined (truncated). */
  bytes(): Uint8Array | undefined {
    const end = this.delimitedEnd();
    if (end === BAIL) return undefined;
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** Enters a sub-message that ends at `end`; returns the outer end for `leave`. */
  enter(end: number): number {
    const outer = this.end;
    this.end = end;
    return outer;
  }

  /** Back in the outer message; false when the sub-message was not read to its end. */
  leave(outer: number): boolean {
    const ok = this.pos === this.end;
    this.end = outer;
    return ok;
  }
}
