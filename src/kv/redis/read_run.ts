/** Read-only Redis commands on a node's local state, after the caller's read barrier. */
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
  return new ReadStorage(
    kv.db,
    kv.readNow,
    (db) => kv.redisKeyCount(db),
    (db) => kv.redisKeyCount(db) - (db === 0 ? kv.keyCount : 0),
  );
}

/** Runs synchronously, in one turn: no apply can come between two reads of one command. */
export function readRedis(kv: KvStateMachine, run: RedisRun): { reply: RedisReply; db: number } {
  return runRedis(run, readStorageOf(kv));
}

/** What GET answers for one key: its value, undefined (no such key), or an error line. */
export type GetAnswer = Uint8Array | undefined | string;

/**
 * GET of every key, in database `db`, in one read: what a run of GETs answers one by one
 * (the executor's GET, errors included), with one storage view for all of them and no reply
 * tree. Synchronous: every key is read at the same applied state.
 */
export function readGets(kv: KvStateMachine, db: number, keys: readonly Uint8Array[]): GetAnswer[] {
  const d = new RedisDb(readStorageOf(kv), db);
  const answers: GetAnswer[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    try {
      answers[i] = d.getString(keys[i]);
    } catch (err) {
      if (!(err instanceof RedisError)) throw err;
      answers[i] = err.line;
    }
  }
  return answers;
}
