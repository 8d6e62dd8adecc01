/**
 * Building blocks of the client port's hand-written frames (client_hot_codec.ts): message specs
 * (fields and defaults, checked against the generated schemas by
 * tests/wire/client_hot_codec_test.ts, so a field added to the .proto fails the test until the
 * codec has it), and a writer.
 *
 * protobuf-es builds each message through `create()` and reflection and converts every 64-bit
 * field through its own int64 support: on the leader at 64 puts in flight the request's decoding
 * was about a sixteenth of the serving thread, and the client spent as much again writing requests
 * and reading answers (bench/RESULTS.md).
 */
export type ScalarKind = "u64" | "u32" | "enum" | "bool" | "bytes" | "string";

export type FieldSpec =
  | { readonly no: number; readonly name: string; readonly kind: ScalarKind }
  | { readonly no: number; readonly name: string; readonly kind: "message"; readonly spec: Spec }
  /** A member of the message's one oneof, stored as `{ case, value }` under `name`. */
  | {
    readonly no: number;
    readonly name: string;
    readonly kind: "oneof";
    readonly case: string;
    readonly spec: Spec;
  };

export interface Spec {
  readonly typeName: string;
  /** In field-number order: what the codec reads and writes. */
  readonly fields: readonly FieldSpec[];
  /** The message with every default, shaped as protobuf-es's `create()` makes it. */
  readonly make: () => Record<string, unknown>;
}

const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** A 64-bit field's value as an init object may give it, as a number; -1 when it cannot be. */
export function u64Of(v: unknown): number {
  if (typeof v === "bigint") return v >= 0n && v <= SAFE_BIG ? Number(v) : -1;
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : -1;
  return v === undefined || v === null ? 0 : -1;
}

/** A 32-bit unsigned (or a non-negative enum) field's value, or -1. */
export function u32Of(v: unknown, max: number): number {
  if (v === undefined || v === null) return 0;
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? v : -1;
}

/** An ASCII string's length, or -1 (a string with other characters goes to protobuf-es). */
export function asciiLength(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== "string") return -1;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) return -1;
  return v.length;
}

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Size of a varint field with a one-byte tag (field numbers below 16), 0 for the default. */
export function uintFieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

/** Size of a length-delimited field of `len` bytes with a one-byte tag, 0 when empty. */
export function lenFieldSize(len: number): number {
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

/** Writes protobuf bytes into a buffer sized beforehand (one-byte tags). */
export class HotWriter {
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

  /** A varint field, left out when 0 (proto3). */
  uint(no: number, n: number): void {
    if (n === 0) return;
    this.buf[this.pos++] = no << 3;
    this.varint(n);
  }

  bytes(no: number, b: Uint8Array | undefined): void {
    if (b === undefined || b.length === 0) return;
    this.buf[this.pos++] = no << 3 | 2;
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  ascii(no: number, s: string): void {
    if (s.length === 0) return;
    this.buf[this.pos++] = no << 3 | 2;
    this.varint(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** The tag and length of a sub-message (written even when empty: it is present). */
  open(no: number, size: number): void {
    this.buf[this.pos++] = no << 3 | 2;
    this.varint(size);
  }
}
