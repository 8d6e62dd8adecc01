/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH. The session queues what follows
 * MULTI (resp_session.ts); EXEC sends the whole queue as one RedisRequest that
 * every replica applies at one revision, with the watched keys' revisions, so
 * a WATCH conflict is decided inside the replicated step and holds across
 * nodes and failovers (docs/resp.md#transactions).
 */
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { watchToken } from "../../kv/redis/watch_token.ts";
import { readStorageOf } from "../../kv/redis/read_run.ts";
import { EMPTY_ARRAY } from "../../kv/redis/reply.ts";
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { REDIS_WATCHED_KEYS_MAX } from "../../limits.ts";
import { REDIS_WATCH_READ_ATTEMPTS } from "../../limits_ops.ts";
import { ServiceError } from "../kv_service.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext, Start } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { holdsPart, proposeRedis, readOnNode } from "./resp_redis_bridge.ts";
import { publishCounts } from "./resp_pubsub.ts";
import { writeReply } from "./resp_reply.ts";

const watchKey = (db: number, key: Uint8Array) => `${db}:${fromUtf8(key)}`;

function multi(ctx: RespContext): Start {
  if (ctx.conn.multi !== undefined) throw new RespCommandError("MULTI calls can not be nested");
  ctx.conn.multi = [];
  ctx.conn.multiFailed = false;
  return () => (w) => w.ok();
}

function discard(ctx: RespContext): Start {
  if (ctx.conn.multi === undefined) throw new RespCommandError("DISCARD without MULTI");
  ctx.conn.multi = undefined;
  return () => {
    ctx.conn.watches.clear();
    ctx.conn.watchFailed.clear();
    return (w) => w.ok();
  };
}

/** EXEC: takes the queue when it is parsed (commands after it are not part of it). */
function exec(ctx: RespContext): Start {
  const queued = ctx.conn.multi;
  const failed = ctx.conn.multiFailed;
  ctx.conn.multi = undefined;
  return async () => {
    // EXEC without MULTI leaves the watches (Redis); any other EXEC ends them.
    if (queued === undefined) throw new RespCommandError("EXEC without MULTI");
    const watches = [...ctx.conn.watches.values()];
    const watchFailed = ctx.conn.watchFailed.size > 0;
    ctx.conn.watches.clear();
    ctx.conn.watchFailed.clear();
    if (watchFailed) {
      return (w) => w.error("EXECABORT Transaction discarded because a WATCH failed; retry it");
    }
    if (failed) {
      return (w) => w.error("EXECABORT Transaction discarded because of previous errors.");
    }
    if (queued.length === 0 && watches.length === 0) return (w) => writeReply(w, EMPTY_ARRAY);
    const readOnly = queued.every((args) =>
      REDIS_COMMANDS.get(fromUtf8(args[0]).toLowerCase())?.kind === "read"
    );
    const run = { db: ctx.conn.db, commands: queued, multi: true, watches };
    if (!readOnly) ctx.conn.wrote = true;
    const result = readOnly ? await readOnNode(ctx, run) : await proposeRedis(ctx, run);
    ctx.conn.db = result.db;
    const reply = publishCounts(ctx, queued, result.reply);
    return (w) => writeReply(w, reply);
  };
}

/** Refused inside MULTI when parsed (EXEC, parsed later, ends the MULTI before WATCH runs). */
function watch(ctx: RespContext, args: readonly Uint8Array[]): Start {
  if (ctx.conn.multi !== undefined) throw new RespCommandError("WATCH inside MULTI is not allowed");
  return () => watchKeys(ctx, args);
}

async function watchKeys(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const db = ctx.conn.db;
  const keys = args.slice(1);
  if (ctx.conn.watches.size + keys.length > REDIS_WATCHED_KEYS_MAX) {
    throw new RespCommandError(`more than ${REDIS_WATCHED_KEYS_MAX} watched keys`);
  }
  let revisions: number[];
  try {
    revisions = await readTokens(ctx, db, keys);
  } catch (err) {
    for (const key of keys) ctx.conn.watchFailed.add(watchKey(db, key));
    throw err;
  }
  keys.forEach((key, i) => {
    const id = watchKey(db, key);
    ctx.conn.watchFailed.delete(id);
    // The first WATCH of a key decides: a later one must not hide a change in between.
    if (!ctx.conn.watches.has(id)) ctx.conn.watches.set(id, { db, key, revision: revisions[i] });
  });
  return (w) => w.ok();
}

/**
 * The keys' tokens, read linearizably; tried again (REDIS_WATCH_READ_ATTEMPTS in all, 50 ms,
 * 100 ms apart) while refused for a passing reason (UNAVAILABLE: a leader changing, a region
 * splitting under the read), so that a WATCH rarely fails where Redis's never does.
 */
async function readTokens(
  ctx: RespContext,
  db: number,
  keys: readonly Uint8Array[],
): Promise<number[]> {
  // A node holding some regions: each key's token is read by its region (its state here lacks
  // the regions held elsewhere).
  const elsewhere = holdsPart(ctx) ? ctx.service.watchTokens : undefined;
  const read = () =>
    elsewhere !== undefined ? elsewhere(db, keys) : ctx.service.readState(
      ctx.consistency,
      (kv) => {
        const storage = readStorageOf(kv);
        return keys.map((key) => watchToken(storage, db, key));
      },
    );
  for (let attempt = 1;; attempt++) {
    try {
      return await read();
    } catch (err) {
      const passing = err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE;
      if (!passing || attempt >= REDIS_WATCH_READ_ATTEMPTS || ctx.conn.closed) throw err;
      await new Promise<void>((r) => ctx.node.clock.setTimeout(r, 50 * attempt));
    }
  }
}

export const TRANSACTION_COMMANDS: Record<string, RespCommandSpec> = {
  MULTI: { arity: 1, kind: "local", parse: multi },
  DISCARD: { arity: 1, kind: "local", parse: discard },
  EXEC: { arity: 1, kind: "exclusive", parse: exec },
  // Alone and in order, as in Redis: a GET pipelined after it must read no older than its
  // tokens (run beside it, a GET through the log finished before WATCH's reads on a node holding
  // some regions, and a transfer built on it lost an update: region_remote_txn_node_test.ts).
  WATCH: { arity: -2, kind: "exclusive", parse: watch },
  UNWATCH: {
    arity: 1,
    kind: "local",
    run: (ctx) => {
      ctx.conn.watches.clear();
      ctx.conn.watchFailed.clear();
      return (w) => w.ok();
    },
  },
};
