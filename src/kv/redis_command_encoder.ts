/**
 * A Redis command (Command.redis) encoded by hand in one exact-size buffer:
 * the same bytes protobuf-es writes (fields in number order, defaults left
 * out; tests/kv/command_codec_test.ts checks it), without its growing buffer
 * and final copy — for a 100 MiB SET through the RESP port that transient
 * memory was over twice the value. Undefined for other commands and for ids
 * past 2^53, which take the generic encoder.
 */
import { varintLength, writeVarint } from "../util/coding.ts";
import type { CommandInit } from "./command_codec.ts";
import { withHeadroom } from "./entry_headroom.ts";

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type RequestInit = NonNullable<
  Extract<NonNullable<CommandInit["body"]>, { case: "redis" }>["value"]
>;
type WatchInit = NonNullable<RequestInit["watches"]>[number];

const EMPTY = new Uint8Array(0);

/** Bytes of a varint field (tag < 128) holding n; 0 for a default 0, which is left out. */
const varintField = (n: number): number => n === 0 ? 0 : 1 + varintLength(n);
/** Bytes of a length-delimited field (tag < 128) of `len` bytes. */
const delimitedField = (len: number): number => 1 + varintLength(len) + len;

function argsLength(args: readonly Uint8Array[]): number {
  let n = 0;
  for (const a of args) n += delimitedField(a.length);
  return n;
}

function watchLength(w: WatchInit): number {
  const key = w.key ?? EMPTY;
  return varintField(w.db ?? 0) + (key.length === 0 ? 0 : delimitedField(key.length)) +
    varintField(Number(w.revision ?? 0n));
}

/**
 * Encoded length of one RedisRequest, or -1 when a watch revision is past 2^53. Each
 * command's args length goes into `sizes` (in order) so the writer does not sum it again.
 */
function requestLength(r: RequestInit, sizes: number[]): number {
  let n = varintField(r.db ?? 0) + (r.multi ? 2 : 0);
  for (const command of r.commands ?? []) {
    const len = argsLength(command.args ?? []);
    sizes.push(len);
    n += delimitedField(len);
  }
  for (const w of r.watches ?? []) {
    const rev = w.revision ?? 0n;
    if (rev < 0n || rev > SAFE) return -1;
    n += delimitedField(watchLength(w));
  }
  return n;
}

function writeVarintField(out: Uint8Array, at: number, tag: number, n: number): number {
  if (n === 0) return at;
  out[at] = tag;
  return writeVarint(out, at + 1, n);
}

/** Below this many bytes a loop beats `set` (a SET's key and value are usually short). */
const COPY_LOOP_MAX = 64;

function writeBytesField(out: Uint8Array, at: number, tag: number, b: Uint8Array): number {
  out[at] = tag;
  at = writeVarint(out, at + 1, b.length);
  const n = b.length;
  if (n < COPY_LOOP_MAX) { for (let i = 0; i < n; i++) out[at + i] = b[i]; }
  else out.set(b, at);
  return at + n;
}

/** Writes a request; `sizes` and `next` as requestLength left them. */
function writeRequest(
  out: Uint8Array,
  at: number,
  r: RequestInit,
  sizes: readonly number[],
  next: { i: number },
): number {
  at = writeVarintField(out, at, 0x08, r.db ?? 0); // db = 1
  for (const command of r.commands ?? []) {
    out[at] = 0x12; // commands = 2
    at = writeVarint(out, at + 1, sizes[next.i++]);
    for (const a of command.args ?? []) at = writeBytesField(out, at, 0x0a, a); // args = 1
  }
  if (r.multi) (out[at] = 0x18, out[at + 1] = 1, at += 2); // multi = 3
  for (const w of r.watches ?? []) {
    out[at] = 0x22; // watches = 4
    at = writeVarint(out, at + 1, watchLength(w));
    at = writeVarintField(out, at, 0x08, w.db ?? 0);
    const key = w.key ?? EMPTY;
    if (key.length > 0) at = writeBytesField(out, at, 0x12, key);
    at = writeVarintField(out, at, 0x18, Number(w.revision ?? 0n));
  }
  return at;
}

/** Command.redis (field 21) and Command.redis_batch (field 22, RedisBatch.requests = 1). */
export function encodeRedisCommand(c: CommandInit, headroom = 0): Uint8Array | undefined {
  const b = c.body;
  if (b?.case !== "redis" && b?.case !== "redisBatch") return undefined;
  if (b.value === undefined) return undefined;
  const ids = [c.clientId ?? 0n, c.sequence ?? 0n, c.ackedSequence ?? 0n, c.proposedAtMs ?? 0n];
  if (ids.some((n) => n < 0n || n > SAFE)) return undefined;
  const requests = b.case === "redis" ? [b.value] : b.value.requests ?? [];
  const sizes: number[] = [];
  const lengths: number[] = [];
  let bodyLength = 0;
  for (const r of requests) {
    const len = requestLength(r, sizes);
    if (len < 0) return undefined;
    lengths.push(len);
    bodyLength += b.case === "redis" ? len : delimitedField(len);
  }
  let total = 2 + varintLength(bodyLength) + bodyLength;
  for (const id of ids) total += varintField(Number(id));
  const out = withHeadroom(total, headroom);
  let at = 0;
  for (let i = 0; i < 4; i++) at = writeVarintField(out, at, (i + 1) << 3, Number(ids[i]));
  out[at] = b.case === "redis" ? 0xaa : 0xb2; // field 21 or 22, length-delimited: two bytes
  out[at + 1] = 0x01;
  at = writeVarint(out, at + 2, bodyLength);
  const next = { i: 0 };
  const batch = b.case === "redisBatch";
  for (let i = 0; i < requests.length; i++) {
    if (batch) (out[at] = 0x0a, at = writeVarint(out, at + 1, lengths[i]));
    at = writeRequest(out, at, requests[i], sizes, next);
  }
  return out;
}
