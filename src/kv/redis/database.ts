/**
 * One Redis database (0-15) as the commands see it: keys of three types with
 * an expiry and the revision of their last change. Database 0's strings are
 * the revisioned keyspace's keys (shared with the protobuf API and watches);
 * every other key keeps a meta record, and a collection a record per member
 * (keys.ts). A name lives in exactly one of the two places: whatever creates a
 * key first removes any record (live or expired) the name had.
 */
import { compareBytes, prefixEnd } from "../../util/bytes.ts";
import { fail, WRONGTYPE } from "./errors.ts";
import { type Generation, memberKey, memberPrefix, metaKey } from "./keys.ts";
import { decodeMeta, encodeMeta, type MetaRecord, RedisType, TYPE_NAMES } from "./meta_record.ts";
import {
  KV_KEY_BYTES_MAX,
  KV_VALUE_BYTES_MAX,
  REDIS_COLLECTION_KEY_BYTES_MAX,
  REDIS_MEMBER_BYTES_MAX,
} from "../../limits.ts";
import { escapedLength } from "../mvcc_keys.ts";
import type { RedisStorage } from "./storage.ts";
import { type KeyBound, type KeyEntry, storedKeys } from "./key_walk.ts";

export type { KeyBound, KeyEntry };

/** A hash or set being read or changed by a command; `save` writes its meta record. */
export interface Collection {
  readonly key: Uint8Array;
  readonly type: RedisType;
  readonly gen: Generation;
  readonly prefix: Uint8Array;
  count: number;
  expireAtMs: number;
  readonly existed: boolean;
  changed: boolean;
}

/** TinyKV's size limits (docs/limits.md); Redis itself allows 512 MB. */
function tooLong(what: string, bytes: number, max: number): never {
  fail(`ERR ${what} of ${bytes} bytes is over TinyKV's limit of ${max} bytes`);
}

/**
 * A key whose engine keys would pass the engine's limit would stop the node at
 * apply. Database 0's key index (0x04) stores each 0x00 byte of a key as two.
 */
export function checkKey(key: Uint8Array): void {
  const n = escapedLength(key);
  if (n > KV_KEY_BYTES_MAX) {
    tooLong(n === key.length ? "key" : "key (0x00 bytes counted twice)", n, KV_KEY_BYTES_MAX);
  }
}

export class RedisDb {
  constructor(readonly s: RedisStorage, readonly index: number) {}

  get now(): number {
    return this.s.now;
  }

  /** The key, if it exists and has not expired. */
  lookup(key: Uint8Array): KeyEntry | undefined {
    const e = this.#stored(key);
    return e === undefined || this.#expired(e) ? undefined : e;
  }

  #expired(e: { expireAtMs: number }): boolean {
    return e.expireAtMs !== 0 && e.expireAtMs <= this.s.now;
  }

  #stored(key: Uint8Array): KeyEntry | undefined {
    checkKey(key);
    if (this.index === 0) {
      const st = this.s.stringOf0(key);
      if (st !== undefined && !this.#expired(st)) {
        const { value, expireAtMs, modRevision } = st;
        return { key, type: RedisType.String, value, expireAtMs, modRevision };
      }
    }
    if (!this.s.mayHaveTyped(this.index)) return undefined;
    const raw = this.s.get(metaKey(this.index, key));
    if (raw === undefined) return undefined;
    const meta = decodeMeta(raw);
    const { type, expireAtMs, modRevision, value } = meta;
    return { key, type, expireAtMs, modRevision, value, meta };
  }

  /** A string's value; WRONGTYPE for another type. */
  getString(key: Uint8Array): Uint8Array | undefined {
    const e = this.lookup(key);
    if (e === undefined) return undefined;
    if (e.type !== RedisType.String) fail(WRONGTYPE);
    return e.value;
  }

  /** Stores a string, replacing whatever the key held. */
  setString(key: Uint8Array, value: Uint8Array, expireAtMs: number): void {
    checkKey(key); // MSET stores without a lookup first

    if (value.length > KV_VALUE_BYTES_MAX) tooLong("value", value.length, KV_VALUE_BYTES_MAX);
    if (this.index === 0) {
      this.#removeMeta(key);
      this.s.putString0(key, value, expireAtMs);
      return;
    }
    const old = this.#meta(key);
    if (old !== undefined && old.type !== RedisType.String) this.#dropMembers(key, old);
    this.#writeMeta(key, old, {
      type: RedisType.String,
      gen: old?.gen ?? { revision: 0, sub: 0 },
      modRevision: this.s.revision,
      expireAtMs,
      count: 0,
      value,
    });
  }

  /** Deletes the key (any type); false when it did not exist (or had expired). */
  remove(key: Uint8Array): boolean {
    const live = this.lookup(key) !== undefined;
    if (this.index === 0 && this.s.stringOf0(key) !== undefined) this.s.deleteString0(key);
    this.#removeMeta(key);
    return live;
  }

  /** Sets a live key's expiry (0: none) at a new revision. */
  setExpiry(e: KeyEntry, expireAtMs: number): void {
    if (e.meta === undefined) {
      this.s.putString0(e.key, e.value, expireAtMs, true);
      return;
    }
    this.#writeMeta(e.key, e.meta, { ...e.meta, modRevision: this.s.revision, expireAtMs });
  }

  // ---- collections ----

  /** The hash or set at `key`; WRONGTYPE for another type; `create` makes an empty one. */
  collection(key: Uint8Array, type: RedisType, create = false): Collection | undefined {
    const e = this.lookup(key);
    if (e !== undefined && e.type !== type) fail(WRONGTYPE);
    if (e?.meta !== undefined) {
      const { gen, count, expireAtMs } = e.meta;
      const prefix = memberPrefix(this.index, key, gen);
      return { key, type, gen, prefix, count, expireAtMs, existed: true, changed: false };
    }
    if (!create) return undefined;
    const max = REDIS_COLLECTION_KEY_BYTES_MAX;
    if (key.length > max) tooLong(`key of a ${TYPE_NAMES[type]}`, key.length, max);
    this.remove(key); // an expired record of the name, in either place
    const gen = this.s.newGeneration();
    const prefix = memberPrefix(this.index, key, gen);
    return { key, type, gen, prefix, count: 0, expireAtMs: 0, existed: false, changed: false };
  }

  member(c: Collection, member: Uint8Array): Uint8Array | undefined {
    if (member.length > REDIS_MEMBER_BYTES_MAX) return undefined;
    return this.s.get(memberKey(c.prefix, member));
  }

  /** Members after `after` (exclusive), in byte order, with their values. */
  *members(c: Collection, after?: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
    const end = prefixEnd(c.prefix) ?? new Uint8Array([0xff, 0xff]);
    const start = after === undefined ? c.prefix : memberKey(c.prefix, after);
    for (const [k, v] of this.s.scan(start, end)) {
      const member = k.subarray(c.prefix.length);
      if (after !== undefined && compareBytes(member, after) === 0) continue;
      yield [member, v];
    }
  }

  /** Stores a member; true when it is new. */
  putMember(c: Collection, member: Uint8Array, value: Uint8Array): boolean {
    const max = REDIS_MEMBER_BYTES_MAX;
    if (member.length > max) tooLong("member or field", member.length, max);
    if (value.length > KV_VALUE_BYTES_MAX) tooLong("value", value.length, KV_VALUE_BYTES_MAX);
    const k = memberKey(c.prefix, member);
    const isNew = this.s.get(k) === undefined;
    this.s.put(k, value);
    if (isNew) c.count++;
    c.changed = true;
    return isNew;
  }

  deleteMember(c: Collection, member: Uint8Array): boolean {
    if (member.length > REDIS_MEMBER_BYTES_MAX) return false;
    const k = memberKey(c.prefix, member);
    if (this.s.get(k) === undefined) return false;
    this.s.delete(k);
    c.count--;
    c.changed = true;
    return true;
  }

  /** Writes a changed collection's meta record; an empty collection is deleted (Redis). */
  save(c: Collection): void {
    if (!c.changed) return;
    const old = c.existed ? this.#meta(c.key) : undefined;
    if (c.count === 0) {
      if (old !== undefined) this.#removeMeta(c.key);
      return;
    }
    this.#writeMeta(c.key, old, {
      type: c.type,
      gen: c.gen,
      modRevision: this.s.revision,
      expireAtMs: c.expireAtMs,
      count: c.count,
      value: new Uint8Array(0),
    });
  }

  // ---- the keyspace ----

  /** Live keys in key order, from `from` (all keys without it). */
  *keys(from?: KeyBound): Generator<KeyEntry> {
    for (const e of storedKeys(this.s, this.index, from)) if (!this.#expired(e)) yield e;
  }

  // ---- meta records ----

  #meta(key: Uint8Array): MetaRecord | undefined {
    if (!this.s.mayHaveTyped(this.index)) return undefined;
    const raw = this.s.get(metaKey(this.index, key));
    return raw === undefined ? undefined : decodeMeta(raw);
  }

  #writeMeta(key: Uint8Array, old: MetaRecord | undefined, next: MetaRecord): void {
    this.s.put(metaKey(this.index, key), encodeMeta(next));
    if (old === undefined) this.s.countKey(this.index, 1);
    if ((old?.expireAtMs ?? 0) !== next.expireAtMs) {
      if (old !== undefined && old.expireAtMs !== 0) {
        this.s.delete(this.s.region.redisExpiry(old.expireAtMs, this.index, key));
      }
      if (next.expireAtMs !== 0) {
        this.s.put(this.s.region.redisExpiry(next.expireAtMs, this.index, key), new Uint8Array(0));
      }
    }
  }

  #removeMeta(key: Uint8Array): void {
    const old = this.#meta(key);
    if (old === undefined) return;
    this.s.delete(metaKey(this.index, key));
    this.s.countKey(this.index, -1);
    if (old.expireAtMs !== 0) {
      this.s.delete(this.s.region.redisExpiry(old.expireAtMs, this.index, key));
    }
    if (old.type !== RedisType.String) this.#dropMembers(key, old);
  }

  /** Queues a dead collection's members for the background collector (garbage.ts). */
  #dropMembers(key: Uint8Array, old: MetaRecord): void {
    if (old.count === 0) return;
    this.s.put(this.s.region.garbage(old.gen), memberPrefix(this.index, key, old.gen));
  }
}
