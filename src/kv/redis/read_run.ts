/** Read-only Redis commands on a node's local state, after the caller's read barrier. */
import type { KvStateMachine } from "../state_machine.ts";
import { type RedisRun, runRedis } from "./executor.ts";
import { ReadStorage } from "./read_storage.ts";
import type { RedisReply } from "./reply.ts";

/**
 * Redis storage over the node's engine as applied now: key counts from the
 * state machine, and database 0 skips meta-record lookups while it has none.
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
