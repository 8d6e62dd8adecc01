/**
 * How the hash commands open a hash: one engine key per field (keys.ts), so a
 * command that needs one field reads one key, and HLEN reads the meta count.
 */
import { KV_VALUE_BYTES_MAX, REDIS_MEMBER_BYTES_MAX } from "../../../limits.ts";
import type { ExecContext } from "../command.ts";
import type { Collection } from "../database.ts";
import { fail } from "../errors.ts";
import { RedisType } from "../meta_record.ts";

/** The hash at `key`, or undefined when there is none; WRONGTYPE for another type. */
export function readHash(c: ExecContext, key: Uint8Array): Collection | undefined {
  return c.db.collection(key, RedisType.Hash);
}

/** The same words as RedisDb's limit errors (docs/limits.md). */
function overLimit(what: string, bytes: number, max: number): never {
  fail(`ERR ${what} of ${bytes} bytes is over TinyKV's limit of ${max} bytes`);
}

/**
 * The hash a write will store `fields` (with their values) in: WRONGTYPE and
 * TinyKV's size limits are checked before anything is written, so a refused
 * command changes nothing. A missing hash is created (saved once it has a field).
 */
export function writeHash(
  c: ExecContext,
  key: Uint8Array,
  fields: readonly (readonly [Uint8Array, Uint8Array])[],
): Collection {
  const existing = readHash(c, key);
  for (const [field, value] of fields) {
    if (field.length > REDIS_MEMBER_BYTES_MAX) {
      overLimit("member or field", field.length, REDIS_MEMBER_BYTES_MAX);
    }
    if (value.length > KV_VALUE_BYTES_MAX) overLimit("value", value.length, KV_VALUE_BYTES_MAX);
  }
  const hash = existing ?? c.db.collection(key, RedisType.Hash, true);
  if (hash === undefined) throw new Error("a created hash is missing");
  return hash;
}

/** Every field of the hash with its value, in field byte order. */
export function allFields(
  c: ExecContext,
  hash: Collection | undefined,
): [Uint8Array, Uint8Array][] {
  return hash === undefined ? [] : [...c.db.members(hash)];
}
