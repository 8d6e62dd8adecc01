/**
 * Applies a RedisBatch: many clients' write requests in one log entry
 * (docs/server.md, "Write batching"). Each request runs as it would alone — its
 * own staged writes, its own reply or error, its neighbours unaffected — in the
 * order the leader proposed them, all at the entry's revision and into the
 * entry's one engine batch. Together they may write no more than one request
 * carrying all their commands could, so an entry still fits an engine batch;
 * a request that would pass what is left answers the over-budget error alone.
 */
import type { RedisRequest } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Outcome } from "../apply.ts";
import type { CommandResult } from "../command_runner.ts";
import type { RevisionWriter } from "../revision_writer.ts";
import { addRedisKeys, type StoreMeta } from "../store_meta.ts";
import type { WriteBudget } from "./apply_storage.ts";
import { applyRedisRequest, budgetOf, carriedBytes, requestBudget } from "./apply_request.ts";
import { encodeReply } from "./reply_codec.ts";
import type { RedisEvent } from "./storage.ts";

/** What a whole batch may write: the budget of one request with every command of the batch. */
export function batchBudget(requests: readonly RedisRequest[]): WriteBudget {
  let carried = 0;
  for (const r of requests) carried += carriedBytes(r);
  return budgetOf(carried);
}

export function applyRedisBatch(
  requests: readonly RedisRequest[],
  w: RevisionWriter,
  pass: StoreMeta,
): CommandResult {
  let left = batchBudget(requests);
  let redisKeys = pass.redisKeys;
  const events: RedisEvent[] = [];
  const outcomes: Outcome[] = [];
  for (const r of requests) {
    const own = requestBudget(r);
    const budget = { ops: Math.min(own.ops, left.ops), bytes: Math.min(own.bytes, left.bytes) };
    const keys = redisKeys;
    const applied = applyRedisRequest(
      r,
      w,
      // Database 0 counts the pass's revisioned-key changes so far, this batch's included.
      (db) => keys[db] + (db === 0 ? pass.keyCount + w.ws.keysDelta : 0),
      (db) => keys[db],
      budget,
    );
    left = { ops: left.ops - applied.used.ops, bytes: left.bytes - applied.used.bytes };
    redisKeys = addRedisKeys(redisKeys, applied.counts);
    for (const e of applied.events) events.push(e);
    const value = { reply: encodeReply(applied.reply), db: applied.db };
    outcomes.push({ body: { case: "redis", value } });
  }
  return {
    outcome: { body: { case: "redisBatch", value: { outcomes } } },
    meta: { redisKeys },
    redisEvents: events,
  };
}
