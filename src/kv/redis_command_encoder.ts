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

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type Field = { tag: number; n: number } | { tag: number; bytes: Uint8Array } | {
  tag: number;
  nested: Field[];
};

/** Encoded length of a field (tags here are below 2^14: one or two bytes). */
function fieldLength(f: Field): number {
  const tag = varintLength(f.tag);
  if ("n" in f) return f.n === 0 ? 0 : tag + varintLength(f.n);
  const len = "bytes" in f ? f.bytes.length : nestedLength(f.nested);
  return tag + varintLength(len) + len;
}

function nestedLength(fields: readonly Field[]): number {
  let n = 0;
  for (const f of fields) n += fieldLength(f);
  return n;
}

function write(out: Uint8Array, at: number, fields: readonly Field[]): number {
  for (const f of fields) {
    if ("n" in f && f.n === 0) continue;
    at = writeVarint(out, at, f.tag);
    if ("n" in f) {
      at = writeVarint(out, at, f.n);
    } else if ("bytes" in f) {
      at = writeVarint(out, at, f.bytes.length);
      out.set(f.bytes, at);
      at += f.bytes.length;
    } else {
      at = writeVarint(out, at, nestedLength(f.nested));
      at = write(out, at, f.nested);
    }
  }
  return at;
}

const varint = (field: number, n: number): Field => ({ tag: field << 3, n });
const delimited = (field: number, bytes: Uint8Array): Field => ({ tag: (field << 3) | 2, bytes });
const nested = (field: number, fields: Field[]): Field => ({
  tag: (field << 3) | 2,
  nested: fields,
});

type RequestInit = NonNullable<
  Extract<NonNullable<CommandInit["body"]>, { case: "redis" }>["value"]
>;

/** The fields of one RedisRequest, or undefined when a watch revision is past 2^53. */
function requestFields(r: RequestInit): Field[] | undefined {
  const watches = r.watches ?? [];
  for (const w of watches) if ((w.revision ?? 0n) < 0n || (w.revision ?? 0n) > SAFE) return;
  const request: Field[] = [varint(1, r.db ?? 0)];
  for (const command of r.commands ?? []) {
    request.push(nested(2, (command.args ?? []).map((a) => delimited(1, a))));
  }
  request.push(varint(3, r.multi ? 1 : 0));
  for (const w of watches) {
    request.push(
      nested(4, [
        varint(1, w.db ?? 0),
        ...(w.key === undefined || w.key.length === 0 ? [] : [delimited(2, w.key)]),
        varint(3, Number(w.revision ?? 0n)),
      ]),
    );
  }
  return request;
}

/** Command.redis (field 21) and Command.redis_batch (field 22, RedisBatch.requests = 1). */
export function encodeRedisCommand(c: CommandInit): Uint8Array | undefined {
  const b = c.body;
  if (b?.case !== "redis" && b?.case !== "redisBatch") return undefined;
  if (b.value === undefined) return undefined;
  const ids = [c.clientId ?? 0n, c.sequence ?? 0n, c.ackedSequence ?? 0n, c.proposedAtMs ?? 0n];
  if (ids.some((n) => n < 0n || n > SAFE)) return undefined;
  let body: Field;
  if (b.case === "redis") {
    const request = requestFields(b.value);
    if (request === undefined) return undefined;
    body = nested(21, request);
  } else {
    const requests: Field[] = [];
    for (const r of b.value.requests ?? []) {
      const request = requestFields(r);
      if (request === undefined) return undefined;
      requests.push(nested(1, request));
    }
    body = nested(22, requests);
  }
  const fields: Field[] = [
    varint(1, Number(ids[0])),
    varint(2, Number(ids[1])),
    varint(3, Number(ids[2])),
    varint(4, Number(ids[3])),
    body,
  ];
  const out = new Uint8Array(nestedLength(fields));
  write(out, 0, fields);
  return out;
}
