/**
 * The meta record of a Redis key kept outside the revisioned keyspace (keys.ts):
 *
 *   meta := type:u8, varint genRevision, varint genSub, varint modRevision,
 *           varint expireAtMs, varint count, value bytes (strings only)
 *
 * `modRevision` is the revision of the key's last change (WATCH compares it);
 * `count` is a collection's number of members (HLEN/SCARD without a scan).
 */
import { ByteReader, ByteWriter, DecodeError } from "../../util/coding.ts";
import type { Generation } from "./keys.ts";

/** Value types. Written to disk: never renumber. */
export const RedisType = { String: 1, Hash: 2, Set: 3 } as const;
export type RedisType = typeof RedisType[keyof typeof RedisType];

export const TYPE_NAMES: Record<RedisType, string> = {
  [RedisType.String]: "string",
  [RedisType.Hash]: "hash",
  [RedisType.Set]: "set",
};

export interface MetaRecord {
  readonly type: RedisType;
  readonly gen: Generation;
  readonly modRevision: number;
  /** Unix ms; 0 for never. */
  readonly expireAtMs: number;
  readonly count: number;
  /** A string's value (empty for collections). */
  readonly value: Uint8Array;
}

export function encodeMeta(m: MetaRecord): Uint8Array {
  const w = new ByteWriter(40 + m.value.length);
  w.u8(m.type).varint(m.gen.revision).varint(m.gen.sub).varint(m.modRevision);
  w.varint(m.expireAtMs).varint(m.count).bytes(m.value);
  return w.finish();
}

export function decodeMeta(bytes: Uint8Array): MetaRecord {
  const r = new ByteReader(bytes);
  const type = r.u8();
  if (type !== RedisType.String && type !== RedisType.Hash && type !== RedisType.Set) {
    throw new DecodeError(`Redis meta record of type ${type}`, 0);
  }
  const gen = { revision: r.varint(), sub: r.varint() };
  const modRevision = r.varint(), expireAtMs = r.varint(), count = r.varint();
  return { type, gen, modRevision, expireAtMs, count, value: bytes.subarray(r.offset) };
}
