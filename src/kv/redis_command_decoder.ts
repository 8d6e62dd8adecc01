/**
 * Decoding of the RESP port's log entries (Command.redis and Command.redis_batch) by hand:
 * the same message objects protobuf-es's `fromBinary` builds (tests/kv/redis_command_codec
 * checks it on many inputs), without its generic reflection walk, which was most of the
 * decode of a batch entry of hundreds of SETs. Byte fields are views into the entry, as
 * protobuf-es makes them. Undefined for anything but the plain encoding of those two bodies
 * (another body, an unknown or repeated singular field, a wire type or value out of range):
 * the caller then decodes with protobuf-es, whose checks stay the judge of unusual input.
 */
import { BAIL, ProtoReader } from "../util/proto_reader.ts";
import type {
  Command,
  RedisArgs,
  RedisBatch,
  RedisRequest,
  RedisWatchedKey,
} from "../gen/tinykv/v1/tinykv_pb.ts";

const U32 = 0xffff_ffff;
const EMPTY = new Uint8Array(0);
/** Command.redis = 21 and Command.redis_batch = 22, length-delimited (as varint values). */
const REDIS_TAG = (21 << 3) | 2;
const REDIS_BATCH_TAG = (22 << 3) | 2;

function args(r: ProtoReader): RedisArgs | undefined {
  const out: Uint8Array[] = [];
  while (r.pos < r.end) {
    if (r.varint() !== 0x0a) return undefined; // args = 1, bytes
    const a = r.bytes();
    if (a === undefined) return undefined;
    out.push(a);
  }
  return { $typeName: "tinykv.v1.RedisArgs", args: out };
}

function watched(r: ProtoReader): RedisWatchedKey | undefined {
  const w: RedisWatchedKey = {
    $typeName: "tinykv.v1.RedisWatchedKey",
    db: 0,
    key: EMPTY,
    revision: 0n,
  };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x08 || tag === 0x18) {
      const n = r.varint();
      if (n === BAIL || (tag === 0x08 && n > U32)) return undefined;
      if (tag === 0x08) w.db = n;
      else w.revision = BigInt(n);
    } else if (tag === 0x12) {
      const key = r.bytes();
      if (key === undefined) return undefined;
      w.key = key;
    } else return undefined;
  }
  return w;
}

function request(r: ProtoReader): RedisRequest | undefined {
  const q: RedisRequest = {
    $typeName: "tinykv.v1.RedisRequest",
    db: 0,
    commands: [],
    multi: false,
    watches: [],
  };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x08 || tag === 0x18) {
      const n = r.varint();
      if (n === BAIL || n > (tag === 0x08 ? U32 : 1)) return undefined;
      if (tag === 0x08) q.db = n;
      else q.multi = n === 1;
    } else if (tag === 0x12 || tag === 0x22) {
      const end = r.delimitedEnd();
      if (end === BAIL) return undefined;
      const outer = r.enter(end);
      if (tag === 0x12) {
        const a = args(r);
        if (a === undefined) return undefined;
        q.commands.push(a);
      } else {
        const w = watched(r);
        if (w === undefined) return undefined;
        q.watches.push(w);
      }
      if (!r.leave(outer)) return undefined;
    } else return undefined;
  }
  return q;
}

function batch(r: ProtoReader): RedisBatch | undefined {
  const requests: RedisRequest[] = [];
  while (r.pos < r.end) {
    if (r.varint() !== 0x0a) return undefined; // requests = 1, message
    const end = r.delimitedEnd();
    if (end === BAIL) return undefined;
    const outer = r.enter(end);
    const q = request(r);
    if (q === undefined || !r.leave(outer)) return undefined;
    requests.push(q);
  }
  return { $typeName: "tinykv.v1.RedisBatch", requests };
}

/** A Command whose body is `redis` or `redisBatch`, or undefined (decode it generically). */
export function decodeRedisCommand(data: Uint8Array): Command | undefined {
  const r = new ProtoReader(data);
  const ids = [0, 0, 0, 0];
  let body: Command["body"] | undefined;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x08 || tag === 0x10 || tag === 0x18 || tag === 0x20) {
      const n = r.varint();
      if (n === BAIL) return undefined;
      ids[(tag >> 3) - 1] = n;
    } else if ((tag === REDIS_TAG || tag === REDIS_BATCH_TAG) && body === undefined) {
      const end = r.delimitedEnd();
      if (end === BAIL) return undefined;
      body = bodyOf(r, end, tag === REDIS_TAG);
      if (body === undefined) return undefined;
    } else return undefined;
  }
  if (body === undefined) return undefined;
  return {
    $typeName: "tinykv.v1.Command",
    clientId: BigInt(ids[0]),
    sequence: BigInt(ids[1]),
    ackedSequence: BigInt(ids[2]),
    body,
    proposedAtMs: BigInt(ids[3]),
  };
}

function bodyOf(r: ProtoReader, end: number, single: boolean): Command["body"] | undefined {
  const outer = r.enter(end);
  let body: Command["body"] | undefined;
  if (single) {
    const value = request(r);
    if (value !== undefined) body = { case: "redis", value };
  } else {
    const value = batch(r);
    if (value !== undefined) body = { case: "redisBatch", value };
  }
  return r.leave(outer) ? body : undefined;
}
