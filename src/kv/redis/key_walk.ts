/**
 * Walks a Redis database's keys in key order: for database 0, the revisioned
 * keyspace's strings merged with the meta records; for the others, the meta
 * records alone. Expired keys are included (the caller decides).
 */
import { compareBytes, equalBytes, prefixEnd } from "../../util/bytes.ts";
import { DATA_PREFIX, dataKey } from "../keyspace.ts";
import { decodeCurrent } from "../key_record.ts";
import { keyOfMeta, metaKey, metaPrefix } from "./keys.ts";
import { decodeMeta, type MetaRecord, RedisType } from "./meta_record.ts";
import type { RedisStorage } from "./storage.ts";

/** A live key. `meta` is undefined for database 0's strings (the revisioned keyspace). */
export interface KeyEntry {
  readonly key: Uint8Array;
  readonly type: RedisType;
  /** Unix ms; 0 for never. */
  readonly expireAtMs: number;
  readonly modRevision: number;
  /** A string's value (empty for collections). */
  readonly value: Uint8Array;
  readonly meta?: MetaRecord;
}

/** Where a walk over the keys starts. */
export interface KeyBound {
  readonly key: Uint8Array;
  readonly inclusive: boolean;
}

const DATA_END = new Uint8Array([DATA_PREFIX[0] + 1]);

export function* storedKeys(s: RedisStorage, db: number, from?: KeyBound): Generator<KeyEntry> {
  const typed = typedKeys(s, db, from);
  const strings = db === 0 ? strings0(s, from) : undefined;
  let t = typed.next(), st = strings?.next();
  while (!t.done || (st !== undefined && !st.done)) {
    if (st !== undefined && !st.done && (t.done || compareBytes(st.value.key, t.value.key) <= 0)) {
      yield st.value;
      st = strings?.next();
    } else {
      yield t.value as KeyEntry;
      t = typed.next();
    }
  }
}

function* typedKeys(s: RedisStorage, db: number, from?: KeyBound): Generator<KeyEntry> {
  const prefix = metaPrefix(db);
  const start = from === undefined ? prefix : metaKey(db, from.key);
  for (const [k, v] of s.scan(start, prefixEnd(prefix) ?? prefix)) {
    const key = keyOfMeta(k);
    if (from?.inclusive === false && equalBytes(key, from.key)) continue;
    const meta = decodeMeta(v);
    const { type, expireAtMs, modRevision, value } = meta;
    yield { key, type, expireAtMs, modRevision, value, meta };
  }
}

function* strings0(s: RedisStorage, from?: KeyBound): Generator<KeyEntry> {
  const start = from === undefined ? DATA_PREFIX : dataKey(from.key);
  for (const [k, v] of s.scan(start, DATA_END)) {
    const key = k.subarray(1);
    if (from?.inclusive === false && equalBytes(key, from.key)) continue;
    const { value, expireAtMs, modRevision } = decodeCurrent(key, v);
    yield { key, type: RedisType.String, value, expireAtMs, modRevision };
  }
}
