/**
 * Reading helpers of the client port's hand-written frames (client_hot_codec.ts,
 * client_hot_answers.ts): each answers undefined (or false) for bytes outside the canonical form
 * the hand path takes, and the caller then leaves the frame to protobuf-es.
 */
import type { Frame } from "../gen/tinykv/v1/tinykv_pb.ts";
import { BAIL, ProtoReader } from "../util/proto_reader.ts";

export type Message = Record<string, unknown>;

export const U32_MAX = 0xffff_ffff;
export const I32_MAX = 0x7fff_ffff;

/**
 * Whether `tag` is a one-byte tag (every field here has one) not in `seen` (bit per field
 * number): each field at most once, as a canonical writer writes it.
 */
function fresh(tag: number, seen: number): boolean {
  return tag >= 0 && tag <= 0x7f && (seen & (1 << (tag >>> 3))) === 0;
}

/**
 * Reads one message's fields up to the reader's end: `field(tag)` reads the value of a field it
 * knows and answers false for any other tag. False as soon as a field is refused or repeated.
 */
export function readFields(r: ProtoReader, field: (tag: number) => boolean): boolean {
  for (let seen = 0, tag = 0; r.pos < r.end; seen |= 1 << (tag >>> 3)) {
    tag = r.varint();
    if (!fresh(tag, seen) || !field(tag)) return false;
  }
  return true;
}

export function u64(r: ProtoReader): bigint | undefined {
  const n = r.varint();
  return n === BAIL ? undefined : BigInt(n);
}

export function uintUpTo(r: ProtoReader, max: number): number | undefined {
  const n = r.varint();
  return n === BAIL || n > max ? undefined : n;
}

export function bool(r: ProtoReader): boolean | undefined {
  const n = r.varint();
  return n === 0 ? false : n === 1 ? true : undefined;
}

export function ascii(r: ProtoReader): string | undefined {
  const b = r.bytes();
  if (b === undefined) return undefined;
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (b[i] > 0x7f) return undefined; // protobuf-es decodes the rest
    s += String.fromCharCode(b[i]);
  }
  return s;
}

/** A sub-message: its length, then `read` within it; undefined unless read to its end. */
export function sub(
  r: ProtoReader,
  read: (r: ProtoReader) => Message | undefined,
): Message | undefined {
  const end = r.delimitedEnd();
  if (end === BAIL) return undefined;
  const outer = r.enter(end);
  const m = read(r);
  return r.leave(outer) ? m : undefined;
}

/** A oneof member: false when the message already has a body (protobuf-es keeps the last). */
export function body(m: Message, kind: string, v: Message | undefined): boolean {
  if ((m.body as { case?: string }).case !== undefined || v === undefined) return false;
  m.body = { case: kind, value: v };
  return true;
}

export function decodeFramed(
  payload: Uint8Array,
  tag: number,
  frameCase: "request" | "response",
  read: (r: ProtoReader) => Message | undefined,
): Frame | undefined {
  const r = new ProtoReader(payload);
  if (r.varint() !== tag) return undefined;
  const end = r.delimitedEnd();
  if (end !== payload.length) return undefined; // truncated, or more fields after it
  const value = read(r);
  if (value === undefined) return undefined;
  return { $typeName: "tinykv.v1.Frame", body: { case: frameCase, value } } as unknown as Frame;
}
