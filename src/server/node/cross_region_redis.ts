/**
 * A Redis run (one command, or a MULTI/EXEC block with its WATCHed keys) whose keys lie in more
 * than one region, run by the node that received it as a transaction across regions, on the
 * coordinator of the coordination API's `txn` (cross_region_txn.ts; docs/transactions.md "Redis
 * commands across regions"):
 *
 * 1. a start timestamp; every key the run names (its commands' keys and the watched ones) is read
 *    at it, each region closed there and its locks finished — here, or by the leader of a region
 *    this node does not hold, which also answers the key's meta record and newest key index
 *    entry (what the executor looks at besides the strings: keys_at.ts);
 * 2. the commands run here, whole and synchronously, through the same executor as at apply
 *    (`runRedis`), over those values (TxnRedisStorage): WATCH's tokens are compared first (a
 *    watched key changed: the null reply, nothing written), and every reply — errors inside EXEC,
 *    WRONGTYPE, MSETNX's 0 — is the one the apply step would give;
 * 3. the strings the commands wrote are the transaction's puts and deletes; every key named and
 *    not written is locked lock-only (serializable: a change of a key read, or watched, after the
 *    start timestamp makes the prewrite conflict, and the run is tried again at a new one);
 * 4. prewrite, commit timestamp, the primary's commit (the commit point), the others'. The
 *    answer is the run's reply.
 *
 * A run of reads only that watches nothing (an MGET, EXISTS, a MULTI of GETs) stops after 2: its
 * answer is the snapshot at the start timestamp (`readOnly`).
 *
 * What the transaction cannot carry is refused whole (`AcrossRegionsRefusal`, nothing done):
 * databases other than 0, hashes and sets, writes with an expiry, commands over the whole
 * keyspace or a key count, PUBLISH. Keyspace notifications of such a run are not published.
 */
import { create } from "@bufbuild/protobuf";
import { type RedisRequest, RedisResponseSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { keysOf } from "../../kv/redis/command_keys.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import { decodeMeta } from "../../kv/redis/meta_record.ts";
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { runRedis } from "../../kv/redis/executor.ts";
import type { RedisReply } from "../../kv/redis/reply.ts";
import { encodeReply } from "../../kv/redis/reply_codec.ts";
import { NotAcrossRegions, TxnRedisStorage } from "../../kv/redis/txn_storage.ts";
import { Transaction } from "../../txn/coordinator.ts";
import { toHex } from "../../util/bytes.ts";
import { AcrossRegionsRefusal, type CommandOutcome, type ServiceError } from "../kv_service.ts";
import { checkBytes, checkKeys, checkUnleased } from "./cross_region_txn_checks.ts";
import { type CrossRegionTxnDeps, withRetries } from "./cross_region_txn.ts";
import { readKeys, ReadRefusedError, startTimestamp } from "./cross_region_start.ts";
import { type KeyAt, viewOf } from "./keys_at.ts";
import { type RequestSession, txnOptions } from "./txn_request_session.ts";

function unsupported(what: string): ServiceError {
  return new AcrossRegionsRefusal(
    `${what} is not supported in a Redis command or MULTI/EXEC whose keys lie in more than one ` +
      "region (docs/transactions.md)",
  );
}

/** Every key the run names, each once, in the order named. */
function namedKeys(req: RedisRequest): Uint8Array[] {
  const keys = new Map<string, Uint8Array>();
  for (const w of req.watches) {
    if (w.db !== 0) throw unsupported(`WATCH in database ${w.db}`);
    keys.set(toHex(w.key), w.key);
  }
  for (const { args } of req.commands) {
    if (args.length === 0) continue;
    for (const [key] of keysOf(lowerName(args[0]), args)) {
      if (key !== undefined) keys.set(toHex(key), key);
    }
  }
  return [...keys.values()];
}

/** Whether any command of the run is a write (a retry must meet the first run's session). */
function writes(req: RedisRequest): boolean {
  return req.commands.some(({ args }) =>
    args.length > 0 && REDIS_COMMANDS.get(lowerName(args[0]))?.kind === "write"
  );
}

/**
 * A run that reads only, watching nothing: its answer is the snapshot at the start timestamp,
 * and nothing is locked or committed. Every region it read was closed at the timestamp and its
 * locks finished there, so the snapshot holds each transaction across regions whole or not at
 * all; and the timestamp was taken after the request arrived, so it holds every write that
 * finished before. (Committing lock-only locks would only make a later write of a key it read
 * conflict: no write of it depends on what it read.)
 */
function readOnly(req: RedisRequest): boolean {
  return req.watches.length === 0 && !writes(req);
}

/**
 * Throws a passing refusal (tried again at a new start timestamp) when a hash or set of a key
 * the read named changed after the start timestamp: those have no history, so the run read
 * them as they are now, and a change since would mix two states. A commit's lock-only locks
 * catch the same change for a run that writes (the prewrite conflicts).
 */
function typedSince(
  keys: readonly Uint8Array[],
  read: ReadonlyMap<string, KeyAt>,
  startTs: number,
): void {
  for (const k of keys) {
    const meta = read.get(toHex(k))?.meta;
    if (meta !== undefined && decodeMeta(meta).modRevision > startTs) {
      throw new ReadRefusedError("a hash or set read changed after the start timestamp");
    }
  }
}

/** A one-command run's reply is an array of one: whether that one is an error. */
function loneError(req: RedisRequest, reply: RedisReply): boolean {
  if (req.multi || req.commands.length !== 1) return false;
  return reply.k === "error" || (reply.k === "array" && reply.items[0]?.k === "error");
}

async function redisOnce(
  d: CrossRegionTxnDeps,
  now: () => number,
  req: RedisRequest,
  session: RequestSession | undefined,
): Promise<CommandOutcome> {
  if (req.db !== 0) throw unsupported(`database ${req.db}`);
  const keys = namedKeys(req);
  checkKeys(keys);
  const env = d.env();
  const startTs = await startTimestamp(env);
  const read = await readKeys(d, keys, startTs);
  const seen = new Map([...read].map(([hex, at]) => [hex, at.state]));
  const storage = new TxnRedisStorage(viewOf(keys, read, now()), seen, keys, startTs);
  const watches = req.watches.map((w) => ({ ...w, revision: Number(w.revision) }));
  const run = { db: req.db, commands: req.commands.map((c) => c.args), multi: req.multi, watches };
  let result: { reply: RedisReply; db: number };
  try {
    result = runRedis(run, storage);
  } catch (err) {
    if (err instanceof NotAcrossRegions) throw unsupported(err.message);
    throw err;
  }
  const reply = encodeReply(result.reply);
  const answer = (): CommandOutcome => ({
    case: "redis",
    value: create(RedisResponseSchema, { reply, db: result.db }),
  });
  if (readOnly(req)) {
    typedSince(keys, read, startTs);
    checkBytes(reply.length);
    return answer();
  }
  // A lone command that answered an error changes nothing (as at apply: apply_request.ts).
  const written = loneError(req, result.reply) ? [] : storage.writes();
  checkUnleased(written.map((w) => w.key), seen);
  checkBytes(written.reduce((n, w) => n + w.key.length + (w.value?.length ?? 0), reply.length));
  const txn = new Transaction(env, startTs, txnOptions(session, answer, writes(req)));
  // Every key named is locked (or written): the lowest is the primary whatever the run did, so
  // a retry of the request meets the session its first run recorded there.
  for (const k of keys) txn.lock(k);
  for (const w of written) {
    if (w.value === undefined) txn.delete(w.key);
    else txn.put(w.key, w.value);
  }
  await txn.commit();
  return answer();
}

/** Runs `req` across regions; FAILED_PRECONDITION when this node cannot (see above). */
export function crossRegionRedis(
  d: CrossRegionTxnDeps,
  req: RedisRequest,
  session?: RequestSession,
): Promise<CommandOutcome> {
  const now = d.now;
  if (now === undefined) return Promise.reject(unsupported("a Redis command on this node"));
  return withRetries(d, () => redisOnce(d, now, req, session));
}
