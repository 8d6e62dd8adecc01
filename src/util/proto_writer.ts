/**
 * The byte writer of the hand-written protobuf encoders (the hot Raft messages in
 * src/wire/raft_hot_codec.ts, the client port's requests in src/wire/client_hot_encode.ts):
 * wire-format fields into a buffer sized beforehand, with the field sizes to size it by (varints
 * sized by coding.ts's `varintLength`). Fields in proto3's canonical form: a zero number or an
 * empty byte field is left out; a sub-message is written even when empty (it is present). The
 * counterpart of proto_reader.ts.
 */

import { varintLength } from "./coding.ts";

const VARINT = 0;
const DELIMITED = 2;

/** Bytes of a varint field with value `n`, its tag included (0 when `n` is 0: left out). */
export function uintFieldSize(field: number, n: number): number {
  return n === 0 ? 0 : varintLength(field << 3) + varintLength(n);
}

/** Bytes of a length-delimited field of `len` bytes, its tag included (0 when empty). */
export function bytesFieldSize(field: number, len: number): number {
  return len === 0 ? 0 : varintLength(field << 3 | DELIMITED) + varintLength(len) + len;
}

export class ProtoWriter {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(n: number): void {
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.pos++] = n;
  }

  /** A varint field, left out when 0. */
  uint(field: number, n: number): void {
    if (n === 0) return;
    this.varint(field << 3 | VARINT);
    this.varint(n);
  }

  /** A bytes field, left out when empty or absent. */
  bytes(field: number, data: Uint8Array | undefined): void {
    if (data === undefined || data.length === 0) return;
    this.varint(field << 3 | DELIMITED);
    this.varint(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A string field of ASCII characters only (the caller checked), left out when empty. */
  ascii(field: number, s: string): void {
    if (s.length === 0) return;
    this.varint(field << 3 | DELIMITED);
    this.varint(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** The tag and length of a sub-message of `size` bytes, which the caller writes next. */
  open(field: number, size: number): void {
    this.varint(field << 3 | DELIMITED);
    this.varint(size);
  }
}
