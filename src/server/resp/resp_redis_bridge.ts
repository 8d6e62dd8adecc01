/**
 * How the RESP port runs the Redis command table (src/redis/): reads on this
 * node's state after the read barrier, writes (and MULTI/EXEC blocks) as one
 * RedisRequest through the Raft log, answered by the applied outcome.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RedisRun } from "../../kv/redis/executor.ts";
import { FLUSH_CONTINUES } from "../../kv/redis/commands/keyspace.ts";
import { readRedis } from "../../kv/redis/read_run.ts";
import { array, bulk, int, type RedisReply } from "../../kv/redis/reply.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import { dbsizeAcross, randomKeyAcross, readsKeysAcross } from "./resp_keys_across.ts";
import { decodeReply } from "../../kv/redis/reply_codec.ts";
import { AcrossRegionsRefusal, type CommandOutcome, ServiceError } from "../kv_service.ts";
import { readsAcrossRegions } from "./resp_read_across.ts";
import { tilesKeyspace } from "../../region/region_catalog.ts";
import type { RespContext } from "./resp_command.ts";
import { type RedisRequestInit, writeBatcherOf } from "./resp_write_batcher.ts";

export interface RedisResult {
  readonly reply: RedisReply;
  /** The database selected after the commands. */
  readonly db: number;
}

export function readOnNode(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  if (holdsPart(ctx)) {
    // DBSIZE and RANDOMKEY read every region (resp_keys_across.ts): region 1's log would see its
    // own keys, or its leader's.
    const lone = readsKeysAcross(ctx) ? loneCommand(run) : undefined;
    if (lone === "dbsize") {
      return dbsizeAcross(ctx, run.db).then((n) => ({ reply: int(n), db: run.db }));
    }
    if (lone === "randomkey") {
      return randomKeyAcross(ctx, run.db).then((k) => ({ reply: bulk(k), db: run.db }));
    }
    return readByRegion(ctx, run);
  }
  if (readsAcrossRegions(ctx.service.regions, ctx.consistency, run)) return readAcross(ctx, run);
  return ctx.service.readState(ctx.consistency, (kv) => readRedis(kv, run));
}

/**
 * A read of keys in several regions at one timestamp (resp_read_across.ts), as the node's
 * coordinator runs it: no log entry, nothing committed. One it refuses (a hash or set, which a
 * transaction across regions never writes) reads the current state, as before.
 */
async function readAcross(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  try {
    return resultOf(await ctx.service.execute({ body: { case: "redis", value: requestOf(run) } }));
  } catch (err) {
    if (!(err instanceof AcrossRegionsRefusal)) throw err;
    return await ctx.service.readState(ctx.consistency, (kv) => readRedis(kv, run));
  }
}

/**
 * A lone read of known keys by a replica of their region, without a log entry (docs/regions.md
 * "Forwarding by a node without a replica"); the log's path when its keys lie in several regions,
 * in MULTI, for a read without keys, or when the read was refused while its region changed
 * (src/server/node/redis_key_reads.ts).
 */
async function readByRegion(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  const read = ctx.service.redisRead;
  if (read !== undefined && !run.multi && run.commands.length === 1 && run.watches.length === 0) {
    const q = { db: run.db, args: run.commands[0], hereOnly: false };
    const reply = await read(q, ctx.consistency);
    if (reply !== undefined) return { reply: array([reply]), db: run.db };
  }
  return proposeRedis(ctx, run);
}

/** `readOnNode` answered in this turn when the read barrier is already met, else undefined. */
export function readOnNodeNow(ctx: RespContext, run: RedisRun): RedisResult | undefined {
  if (holdsPart(ctx)) return undefined;
  return ctx.service.readStateNow?.(ctx.consistency, (kv) => readRedis(kv, run))?.value;
}

const EMPTY = new Uint8Array(0);

/** The name of a lone command without arguments (not in MULTI), else undefined. */
function loneCommand(run: RedisRun): string | undefined {
  const args = run.commands[0];
  if (run.multi || run.commands.length !== 1 || args.length !== 1) return undefined;
  return lowerName(args[0]);
}

/**
 * Whether the node's regions leave part of the keyspace to other nodes (placement keeps fewer
 * replicas than nodes): a Redis read cannot be served from the node's whole state then. A read
 * whose keys all lie in one region is read by a replica of it (readByRegion: here, or sent on);
 * every other read goes through the log of its keys' region like a write — to the region's leader,
 * forwarded when this node holds no replica (docs/regions.md "Forwarding by a node without a
 * replica"). Linearizable either way; only the log's path costs an entry per read.
 */
export function holdsPart(ctx: RespContext): boolean {
  const catalog = ctx.service.regions;
  if (catalog === undefined) return false;
  // One region over every key (a node that never split), asked on every GET run: no list made.
  const first = catalog.regionFor(EMPTY);
  if (first !== undefined && first.start.length === 0 && first.end.length === 0) return false;
  if (catalog.holdsWhole !== undefined) return !catalog.holdsWhole();
  return !tilesKeyspace(catalog.regionsOverlapping(EMPTY, EMPTY), (d) => d);
}

export function proposeRedis(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  return writeBatcherOf(ctx.service, ctx.node.afterIo).submit(requestOf(run)).then(resultOf);
}

/**
 * The log's request for a run. The arguments go as they are (the parser's arrays, never
 * changed after parsing): the entry's encoder only reads them.
 */
function requestOf(run: RedisRun): RedisRequestInit {
  const commands = new Array<{ args: Uint8Array[] }>(run.commands.length);
  for (let i = 0; i < commands.length; i++) {
    commands[i] = { args: run.commands[i] as Uint8Array[] };
  }
  const watches = run.watches.length === 0
    ? []
    : run.watches.map((w) => ({ ...w, revision: BigInt(w.revision) }));
  return { db: run.db, commands, multi: run.multi, watches };
}

function resultOf(outcome: CommandOutcome): RedisResult {
  if (outcome.case !== "redis") {
    throw new ServiceError(ErrorCode.UNAVAILABLE, `a Redis command answered with ${outcome.case}`);
  }
  return { reply: decodeReply(outcome.value.reply), db: outcome.value.db };
}

/** One command's reply (a run of one command answers an array of one). */
export function firstReply(r: RedisResult): RedisReply {
  return r.reply.k === "array" && r.reply.items.length === 1 ? r.reply.items[0] : r.reply;
}

/** Steps a FLUSHDB/FLUSHALL may take before the port gives up (each empties ~4,000+ keys). */
const FLUSH_STEPS_MAX = 100_000;

/**
 * A write outside MULTI: proposed again while the executor answers that it
 * stopped at its budget and goes on (FLUSH_CONTINUES), so a big FLUSHALL
 * completes in several atomic steps. Resolves with `map` of the last step's
 * result, in one promise when the first step finished (a SET of a pipeline
 * pays for one, not four).
 */
export function proposeToEnd<T>(
  ctx: RespContext,
  run: RedisRun,
  map: (r: RedisResult) => T,
): Promise<T> {
  return writeBatcherOf(ctx.service, ctx.node.afterIo).submit(requestOf(run)).then((outcome) => {
    const r = resultOf(outcome);
    return continues(firstReply(r)) ? proposeRest(ctx, run).then(map) : map(r);
  });
}

/** The steps after a first that answered FLUSH_CONTINUES. */
async function proposeRest(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  let result = await proposeRedis(ctx, run);
  for (let steps = 2; continues(firstReply(result)) && steps < FLUSH_STEPS_MAX; steps++) {
    result = await proposeRedis(ctx, run);
  }
  if (continues(firstReply(result))) {
    throw new ServiceError(ErrorCode.UNAVAILABLE, "FLUSH did not finish: retry it");
  }
  return result;
}

function continues(r: RedisReply): boolean {
  return r.k === "simple" && r.s === FLUSH_CONTINUES;
}
