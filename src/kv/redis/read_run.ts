/** Read-only Redis commands on a node's local state, after the caller's read barrier. */
import { KV_KEY_BYTES_MAX } from "../../limits.ts";
import type { ValueReader } from "../../storage/db.ts";
import { type CurrentHead, readCurrentHead } from "../key_record.ts";
import { dataKey } from "../keyspace.ts";
import type { KvStateMachine } from "../state_machine.ts";
import { RedisDb } from "./database.ts";
import { RedisError } from "./errors.ts";
import { type RedisRun, runRedis } from "./executor.ts";
import { ReadStorage } from "./read_storage.ts";
import type { RedisReply } from "./reply.ts";

/**
 * Redis storage over the node's engine as applied now: key counts from the state machine, and
 * database 0 skips meta-record lookups while it has none.
 */
export function readStorageOf(kv: KvStateMachine): ReadStorage {
  const all = kv.acrossRegions; // a node's regions share the engine: count them all
  const count = (db: number) => all?.redisKeyCount(db) ?? kv.redisKeyCount(db);
  const typed = (db: number) =>
    all?.typedKeyCount(db) ?? kv.redisKeyCount(db) - (db === 0 ? kv.keyCount : 0);
  return new ReadStorage(kv.db, kv.readNow, count, typed);
}

/** Runs synchronously, in one turn: no apply can come between two reads of one command. */
export function readRedis(kv: KvStateMachine, run: RedisRun): { reply: RedisReply; db: number } {
  return runRedis(run, readStorageOf(kv));
}

/** Where a run of GETs puts its answers: one call per key, in the keys' order. */
export interface GetSink {
  /** The key's value is `buf[off, off+len)`, readable only during the call. */
  value(buf: Uint8Array, off: number, len: number): void;
  /** No such key (or it expired). */
  missing(): void;
  /** The GET failed: its error line (WRONGTYPE, a key over TinyKV's limit). */
  error(line: string): void;
}

/**
 * GET of every key, in database `db`, in one read, as the executor's GET answers each (errors
 * included) but with one storage view for all of them and no reply tree. A live string of
 * database 0, the common case, is read in place from the engine and handed to the sink without
 * a copy; anything else (an expired string, another type, database 1-15) takes the general
 * path. Synchronous: every key is read at the same applied state.
 */
export function readGets(
  kv: KvStateMachine,
  db: number,
  keys: readonly Uint8Array[],
  sink: GetSink,
): void {
  const storage = readStorageOf(kv);
  const d = new RedisDb(storage, db);
  const live = new LiveString(sink, storage.now);
  const typed = db === 0 && storage.mayHaveTyped(0);
  for (const key of keys) {
    // A key of at most half the limit is within it however many 0x00 bytes it has.
    if (db === 0 && key.length * 2 <= KV_KEY_BYTES_MAX) {
      const found = kv.db.getWith(dataKey(key), live);
      if (found === true) continue;
      if (found === undefined && !typed) {
        sink.missing();
        continue;
      }
    }
    try {
      const value = d.getString(key);
      if (value === undefined) sink.missing();
      else sink.value(value, 0, value.length);
    } catch (err) {
      if (!(err instanceof RedisError)) throw err;
      sink.error(err.line);
    }
  }
}

/** A database 0 string's current record, read in place: true when handed over (not expired). */
class LiveString implements ValueReader<boolean> {
  readonly #head: CurrentHead = { valueOff: 0, expireAtMs: 0 };

  constructor(readonly sink: GetSink, readonly now: number) {}

  read(buf: Uint8Array, off: number, len: number): boolean {
    const head = this.#head;
    readCurrentHead(buf, off, off + len, head);
    if (head.expireAtMs !== 0 && head.expireAtMs <= this.now) return false;
    this.sink.value(buf, head.valueOff, off + len - head.valueOff);
    return true;
  }
}
