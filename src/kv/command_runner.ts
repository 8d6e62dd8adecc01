/**
 * Dispatches one decoded command to what applies it. Commands whose keys are
 * not known up front (a transaction with ranges, a lease revoke) are first
 * `prepare`d: the engine is read, asynchronously, with nothing of the pass
 * pending; then every command runs synchronously against the pass.
 */
import { type Command, ErrorCode, type RedisRequest } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { Db } from "../storage/db.ts";
import { u64ToNumber } from "../util/ids.ts";
import { applyKeyCommand, failure, type Outcome, written } from "./apply.ts";
import { applyExpire, applyExpireKeys } from "./expire_apply.ts";
import { applyLeaseGrant, applyLeaseRevoke } from "./lease_apply.ts";
import { attachedKeys, type LeaseTable } from "./lease_table.ts";
import { RevisionWriter } from "./revision_writer.ts";
import { addRedisKeys, type StoreMeta } from "./store_meta.ts";
import { applyRedisRequest } from "./redis/apply_request.ts";
import { applyRedisBatch } from "./redis/apply_batch.ts";
import { ApplyStorage } from "./redis/apply_storage.ts";
import { REDIS_REQUEST_BYTES_MIN, REDIS_REQUEST_OPS_MAX } from "../limits.ts";
import { encodeReply } from "./redis/reply_codec.ts";
import type { RedisEvent } from "./redis/storage.ts";
import { planTxn, planWithoutReads, runTxn, type TxnPlan } from "./txn_apply.ts";
import type { WriteSet } from "./write_set.ts";

/** What a command read before running: a transaction's plan, or a lease's keys. */
export type Prepared =
  | { readonly kind: "txn"; readonly plan: TxnPlan }
  | { readonly kind: "failed"; readonly outcome: Outcome }
  | { readonly kind: "leaseKeys"; readonly keys: readonly Uint8Array[] };

export async function prepare(
  command: Command,
  ws: WriteSet,
  leases: LeaseTable,
  db: Db,
  index: number,
  now: number,
): Promise<Prepared | undefined> {
  const b = command.body;
  if (b.case === "txn") {
    const plan = await planTxn(b.value, new RevisionWriter(ws, index, leases, now), db);
    return "ops" in plan ? { kind: "txn", plan } : { kind: "failed", outcome: plan };
  }
  if (b.case === "leaseRevoke") {
    return { kind: "leaseKeys", keys: await attachedKeys(db, u64ToNumber(b.value.id, "lease")) };
  }
  return undefined;
}

export interface CommandResult {
  readonly outcome: Outcome;
  /** Store records the command moved besides the revision (a compaction, Redis key counts). */
  readonly meta?: Partial<StoreMeta>;
  /** What Redis commands announced (PUBLISH, keyspace events), for this node's subscribers. */
  readonly redisEvents?: readonly RedisEvent[];
}

export function runCommand(
  command: Command,
  index: number,
  w: RevisionWriter,
  pass: StoreMeta,
  prepared: Prepared | undefined,
): CommandResult {
  if (prepared?.kind === "failed") return { outcome: prepared.outcome };
  const b = command.body;
  switch (b.case) {
    case "put":
    case "delete":
    case "batch":
    case "compareAndSet":
    case "increment":
      return { outcome: applyKeyCommand(b, index, w) };
    case "txn": {
      const plan = prepared?.kind === "txn" ? prepared.plan : planWithoutReads(b.value, w);
      return { outcome: runTxn(plan, w, index) };
    }
    case "compact":
      return compact(u64ToNumber(b.value.revision, "revision"), index, pass);
    case "expire":
      return { outcome: applyExpire(b.value, index, w) };
    case "expireKeys": {
      const storage = applyStorage(w, pass);
      return redisResult(applyExpireKeys(b.value, index, w, storage), storage, pass);
    }
    case "leaseGrant":
      return { outcome: applyLeaseGrant(b.value, index, w) };
    case "redis":
      return applyRedis(b.value, w, pass);
    case "redisBatch":
      return applyRedisBatch(b.value.requests, w, pass);
    case "leaseRevoke": {
      const keys = prepared?.kind === "leaseKeys" ? prepared.keys : [];
      return { outcome: applyLeaseRevoke(b.value, keys, w) };
    }
    case undefined:
      return { outcome: failure(ErrorCode.INVALID_ARGUMENT, "command has no body") };
  }
}

/**
 * Redis storage for expire_keys (bounded by EXPIRE_KEYS_PER_COMMAND_MAX keys, so it
 * writes straight into the pass); database 0 counts the revisioned keys.
 */
function applyStorage(w: RevisionWriter, pass: StoreMeta): ApplyStorage {
  return new ApplyStorage(
    w,
    (db) => pass.redisKeys[db] + (db === 0 ? pass.keyCount + w.ws.keysDelta : 0),
    { ops: REDIS_REQUEST_OPS_MAX, bytes: REDIS_REQUEST_BYTES_MIN },
  );
}

/** A command that ran Redis storage: its key counts move and its events go out. */
function redisResult(outcome: Outcome, storage: ApplyStorage, pass: StoreMeta): CommandResult {
  const redisKeys = addRedisKeys(pass.redisKeys, storage.counts);
  return { outcome, meta: { redisKeys }, redisEvents: storage.events };
}

/** Redis commands run by the state machine (docs/decisions/0010-redis-on-the-log.md). */
function applyRedis(r: RedisRequest, w: RevisionWriter, pass: StoreMeta): CommandResult {
  const applied = applyRedisRequest(
    r,
    w,
    // Database 0 counts the pass's earlier revisioned-key changes too (not yet committed).
    (db) => pass.redisKeys[db] + (db === 0 ? pass.keyCount + w.ws.keysDelta : 0),
    (db) => pass.redisKeys[db],
  );
  const value = { reply: encodeReply(applied.reply), db: applied.db };
  return {
    outcome: { body: { case: "redis", value } },
    meta: { redisKeys: addRedisKeys(pass.redisKeys, applied.counts) },
    redisEvents: applied.events,
  };
}

/** etcd's rules: at or below the compacted revision is COMPACTED, past the current FUTURE. */
function compact(revision: number, index: number, pass: StoreMeta): CommandResult {
  if (revision <= pass.compacted) {
    const message = `revision ${revision} is already compacted (to ${pass.compacted})`;
    return {
      outcome: {
        error: { code: ErrorCode.COMPACTED, message, compactedRevision: BigInt(pass.compacted) },
      },
    };
  }
  if (revision > pass.revision) {
    const message = `revision ${revision} is ahead of the current revision ${pass.revision}`;
    return { outcome: failure(ErrorCode.FUTURE_REVISION, message) };
  }
  return { outcome: written(index), meta: { compacted: revision } };
}

/** Commands that read the engine before they run (their keys are not known up front). */
export function needsEngine(command: Command): boolean {
  const b = command.body;
  if (b.case === "leaseRevoke") return true;
  return b.case === "txn" &&
    [...b.value.success, ...b.value.failure].some((op) =>
      (op.op.case === "range" || op.op.case === "deleteRange") && op.op.value.rangeEnd.length > 0
    );
}

/** Stamps the store revision after the command on its outcome. */
export function withRevision(outcome: Outcome, revision: number): Outcome {
  const b = outcome.body;
  if (b?.value === undefined) return outcome;
  if (b.case === "write" || b.case === "txn" || b.case === "lease") {
    return {
      ...outcome,
      body: { ...b, value: { ...b.value, revision: BigInt(revision) } },
    } as Outcome;
  }
  return outcome;
}
