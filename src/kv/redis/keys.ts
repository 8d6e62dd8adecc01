/**
 * Engine keys of the Redis data kept outside the revisioned keyspace
 * (docs/formats.md#redis-keyspace, docs/decisions/0010-redis-on-the-log.md):
 *
 *   0x08 db:u8 key                              → meta record (meta_record.ts)
 *   0x09 db:u8 escaped(key) 00 01 gen:12 member → a hash field's value, or empty for a set member
 *
 * The garbage queue and the expiry index of these keys are region-local (region_keys.ts):
 * `0x10 regionId 0x0A gen` → a dead collection's member prefix, and
 * `0x10 regionId 0x0B expireAtMs:u64be db:u8 key` → (empty) the key expires then.
 *
 * Strings of database 0 are the revisioned keyspace's own keys (0x02, shared
 * with the protobuf API); everything else of Redis lives here. A collection's
 * members carry its generation (the revision and sub-index of the command that
 * created it), so deleting a collection drops only its meta record and queues
 * the members as garbage: a later collection of the same name never sees them.
 */
import { DecodeError, writeU32BE, writeU64BE } from "../../util/coding.ts";
import { escapedLength, writeEscaped } from "../mvcc_keys.ts";

/** Namespace bytes. Written to disk: never renumber, never reuse. */
export const RedisNamespace = {
  Meta: 0x08,
  Member: 0x09,
  /** Before regions (format 2): the garbage queue; now a region-local kind. */
  Garbage: 0x0a,
  /** Before regions (format 2): the expiry index; now a region-local kind. */
  Expiry: 0x0b,
} as const;

/** A collection's generation: unique over the life of the store. */
export interface Generation {
  readonly revision: number;
  readonly sub: number;
}

export function metaKey(db: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + key.length);
  out[0] = RedisNamespace.Meta;
  out[1] = db;
  out.set(key, 2);
  return out;
}

/** Every meta record of database `db` starts with these bytes. */
export function metaPrefix(db: number): Uint8Array {
  return new Uint8Array([RedisNamespace.Meta, db]);
}

/** The user key of a meta record's engine key. */
export function keyOfMeta(engineKey: Uint8Array): Uint8Array {
  if (engineKey.length < 2 || engineKey[0] !== RedisNamespace.Meta) {
    throw new DecodeError("not a Redis meta key", 0);
  }
  return engineKey.subarray(2);
}

/** Every member of the collection `key` of generation `gen` starts with these bytes. */
export function memberPrefix(db: number, key: Uint8Array, gen: Generation): Uint8Array {
  const out = new Uint8Array(2 + escapedLength(key) + 2 + 12);
  out[0] = RedisNamespace.Member;
  out[1] = db;
  let at = writeEscaped(out, 2, key);
  out[at++] = 0x00;
  out[at++] = 0x01;
  writeU64BE(out, at, gen.revision);
  writeU32BE(out, at + 8, gen.sub);
  return out;
}

export function memberKey(prefix: Uint8Array, member: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + member.length);
  out.set(prefix);
  out.set(member, prefix.length);
  return out;
}
