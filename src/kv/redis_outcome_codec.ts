/**
 * The outcomes of Redis writes (a RedisResponse, or a RedisBatchResponse of them) encoded by
 * hand, with their message built directly: the same bytes and the same message object as
 * protobuf-es's `create` + `toBinary` (tests/kv/redis_outcome_codec_test.ts), without its
 * generic walk, which cost a few percent of a pipelined SET's CPU. Anything else (an error,
 * another body, a batch holding anything but plain RedisResponses) is left to protobuf-es.
 */
import type { ClientResponse, RedisResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import { varintLength, writeVarint } from "../util/coding.ts";
import type { Outcome } from "./apply.ts";

type RedisInit = { reply?: Uint8Array; db?: number };

/** The RedisResponse a plain outcome carries, or undefined when it is anything else. */
function redisOf(o: Outcome): RedisInit | undefined {
  if (o.error !== undefined || (o.requestId ?? 0n) !== 0n) return undefined;
  const b = o.body;
  if (b?.case !== "redis" || b.value === undefined) return undefined;
  const db = b.value.db ?? 0;
  return db >= 0 && db <= 0xffff_ffff && Number.isInteger(db) ? b.value : undefined;
}

/** Bytes of a RedisResponse's fields. */
function redisLength(r: RedisInit): number {
  const reply = r.reply?.length ?? 0, db = r.db ?? 0;
  return (reply === 0 ? 0 : 1 + varintLength(reply) + reply) +
    (db === 0 ? 0 : 1 + varintLength(db));
}

/** A ClientResponse holding a RedisResponse (field 18) of `len` bytes: its own length. */
const redisBodyLength = (len: number) => 2 + varintLength(len) + len;

function writeRedisBody(out: Uint8Array, at: number, r: RedisInit, len: number): number {
  out[at++] = 0x92; // field 18, length-delimited: two varint bytes
  out[at++] = 0x01;
  at = writeVarint(out, at, len);
  const reply = r.reply, db = r.db ?? 0;
  if (reply !== undefined && reply.length > 0) {
    out[at++] = 0x0a;
    at = writeVarint(out, at, reply.length);
    out.set(reply, at);
    at += reply.length;
  }
  if (db !== 0) {
    out[at++] = 0x10;
    at = writeVarint(out, at, db);
  }
  return at;
}

function redisMessage(r: RedisInit): ClientResponse {
  const value: RedisResponse = {
    $typeName: "tinykv.v1.RedisResponse",
    reply: r.reply ?? new Uint8Array(0),
    db: r.db ?? 0,
  };
  return { $typeName: "tinykv.v1.ClientResponse", requestId: 0n, body: { case: "redis", value } };
}

/**
 * The encoding and message of a plain Redis outcome or batch of them, or undefined for any
 * other outcome.
 */
export function encodeRedisOutcome(
  outcome: Outcome,
): { bytes: Uint8Array; message: ClientResponse } | undefined {
  const one = redisOf(outcome);
  if (one !== undefined) {
    const len = redisLength(one);
    const bytes = new Uint8Array(redisBodyLength(len));
    writeRedisBody(bytes, 0, one, len);
    return { bytes, message: redisMessage(one) };
  }
  if (outcome.error !== undefined || (outcome.requestId ?? 0n) !== 0n) return undefined;
  const b = outcome.body;
  if (b?.case !== "redisBatch" || b.value === undefined) return undefined;
  const items = b.value.outcomes ?? [];
  const lengths = new Array<number>(items.length);
  const redis = new Array<RedisInit>(items.length);
  let inner = 0;
  for (let i = 0; i < items.length; i++) {
    const r = redisOf(items[i]);
    if (r === undefined) return undefined;
    redis[i] = r;
    lengths[i] = redisLength(r);
    const item = redisBodyLength(lengths[i]);
    inner += 1 + varintLength(item) + item;
  }
  const bytes = new Uint8Array(2 + varintLength(inner) + inner);
  bytes[0] = 0xa2; // field 20, length-delimited
  bytes[1] = 0x01;
  let at = writeVarint(bytes, 2, inner);
  const outcomes: ClientResponse[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    bytes[at++] = 0x0a;
    at = writeVarint(bytes, at, redisBodyLength(lengths[i]));
    at = writeRedisBody(bytes, at, redis[i], lengths[i]);
    outcomes[i] = redisMessage(redis[i]);
  }
  const message: ClientResponse = {
    $typeName: "tinykv.v1.ClientResponse",
    requestId: 0n,
    body: { case: "redisBatch", value: { $typeName: "tinykv.v1.RedisBatchResponse", outcomes } },
  };
  return { bytes, message };
}
