/**
 * A RESP read of known keys on a node whose regions leave part of the keyspace to others (docs/
 * resp.md "On a node holding some regions"): when every key lies in one region, the executor's
 * read runs on a replica of that region after its read barrier — this node's when it holds the
 * region (leader or not: ReadIndex), else the region's leader (or a voter) sent a
 * `RedisKeysRequest` with `command`, routed with the region's id and epoch and served there from
 * its own regions only (never sent on again). No log entry: the read costs a ReadIndex, not an
 * append and an apply on every replica. The executor is the one-region node's (read_run.ts), so
 * the reply is the same bytes. Keys over several regions keep the log's path (undefined here).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { arityOk } from "../../kv/redis/command.ts";
import { keysOf } from "../../kv/redis/command_keys.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { checkKey } from "../../kv/redis/database.ts";
import { RedisError } from "../../kv/redis/errors.ts";
import { readRedis } from "../../kv/redis/read_run.ts";
import type { RedisReply } from "../../kv/redis/reply.ts";
import { decodeReply } from "../../kv/redis/reply_codec.ts";
import { REDIS_DATABASES } from "../../limits.ts";
import { REDIS_PEER_READ_ARGS_MAX, REDIS_PEER_READ_BYTES_MAX } from "../../limits_ops.ts";
import { containsKey } from "../../region/descriptor.ts";
import { type KeySpan, keySpan } from "../../region/region_catalog.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type Consistency, ServiceError } from "../kv_service.ts";
import type { RedisReadQuery } from "../redis_keys.ts";
import type { NodeReads } from "./node_reads.ts";
import { unchanged } from "./read_settle.ts";
import type { HostedRegion } from "./region_host.ts";
import { MORE_THAN_ONE_REGION, type RemoteRegions } from "./remote_regions.ts";
import { wireConsistency } from "./scan_parts.ts";

/**
 * Why `args` in database `db` is not a read a peer may ask for, or undefined: a read command of
 * the table with its arity and at least one key, within REDIS_PEER_READ_ARGS_MAX and
 * REDIS_PEER_READ_BYTES_MAX. A write (or anything not a read) is refused here, before a state
 * is looked at; the executor's read storage refuses writes too.
 */
export function peerReadProblem(db: number, args: readonly Uint8Array[]): string | undefined {
  if (db >= REDIS_DATABASES) return `db ${db} is not a Redis database (0-15)`;
  if (args.length === 0) return "a Redis read without a command";
  if (args.length > REDIS_PEER_READ_ARGS_MAX) {
    return `${args.length} arguments: over REDIS_PEER_READ_ARGS_MAX (${REDIS_PEER_READ_ARGS_MAX})`;
  }
  let bytes = 0;
  for (const a of args) bytes += a.length;
  if (bytes > REDIS_PEER_READ_BYTES_MAX) {
    return `${bytes} bytes of arguments: over REDIS_PEER_READ_BYTES_MAX ` +
      `(${REDIS_PEER_READ_BYTES_MAX})`;
  }
  const name = lowerName(args[0]);
  const spec = REDIS_COMMANDS.get(name);
  if (spec === undefined || spec.kind !== "read" || spec.run === undefined) {
    return `'${name.slice(0, 64)}' is not a Redis read command`;
  }
  if (!arityOk(spec.arity, args.length)) return `wrong number of arguments for '${name}'`;
  if (keysOfRead(args).length === 0) return `'${name}' names no key`;
  return undefined;
}

/** The keys of a read command (none for a command without keys). */
function keysOfRead(args: readonly Uint8Array[]): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const [key] of keysOf(lowerName(args[0]), args)) if (key !== undefined) keys.push(key);
  return keys;
}

/**
 * The keys of a read this node may serve without the log: a valid peer read whose keys the
 * engine can hold (a key over the limit keeps the log's path, which answers its error).
 */
function servableKeys(q: RedisReadQuery): Uint8Array[] | undefined {
  if (peerReadProblem(q.db, q.args) !== undefined) return undefined;
  const keys = keysOfRead(q.args);
  try {
    for (const k of keys) checkKey(k);
  } catch (err) {
    if (err instanceof RedisError) return undefined;
    throw err;
  }
  return keys;
}

/** One region's read, after its barrier and the locks of transactions on the keys. */
export async function readHere(
  reads: NodeReads,
  region: HostedRegion,
  keys: readonly Uint8Array[],
  q: RedisReadQuery,
  c: Consistency,
): Promise<RedisReply> {
  const span = spanOfKeys(keys), generation = reads.host.generation;
  const barrier = () => reads.barrier(c, [region], span);
  await barrier();
  const locks = reads.locks();
  if (locks !== undefined && c !== "serializable") {
    for (const k of keys) await locks.settle(keySpan(k), 0, barrier);
  }
  unchanged(reads.host, generation, [region]); // its records may have gone with it meanwhile
  const run = { db: q.db, commands: [q.args as Uint8Array[]], multi: false, watches: [] };
  const { reply } = reads.engine().readNow(() => readRedis(region.kv.kv, run));
  return reply.k === "array" && reply.items.length === 1 ? reply.items[0] : reply;
}

/** The least span holding every key (the barrier checks its region still covers it). */
function spanOfKeys(keys: readonly Uint8Array[]): KeySpan {
  let low = keys[0];
  let high = keys[0];
  for (const k of keys) {
    if (compareBytes(k, low) < 0) low = k;
    if (compareBytes(k, high) > 0) high = k;
  }
  return { start: low, end: keySpan(high).end };
}

/** The local region holding every key, or undefined (some elsewhere, or several regions). */
function regionHere(reads: NodeReads, keys: readonly Uint8Array[]): HostedRegion | undefined {
  const region = reads.host.regionFor(keys[0]);
  if (region === undefined) return undefined;
  return keys.every((k) => containsKey(region.kv.descriptor, k)) ? region : undefined;
}

/**
 * The read's reply, by a replica of its keys' region; undefined when it must go through the log
 * (keys in several regions, here and elsewhere, no route, or not a read a peer serves).
 */
export async function readByRegion(
  reads: NodeReads,
  remote: RemoteRegions,
  q: RedisReadQuery,
  c: Consistency,
): Promise<RedisReply | undefined> {
  const keys = servableKeys(q);
  if (keys === undefined) return undefined;
  const here = regionHere(reads, keys);
  if (here !== undefined) return await readHere(reads, here, keys, q, c);
  if (keys.some((k) => reads.host.regionFor(k) !== undefined)) return undefined;
  const region = await remote.locate(keys[0]);
  if (region === undefined || !keys.every((k) => containsKey(region, k))) return undefined;
  reads.faults.check("read");
  const value = { db: q.db, consistency: wireConsistency(c), command: q.args as Uint8Array[] };
  try {
    const answer = await remote.send({ case: "redisKeys", value }, keys.map(keySpan), {
      timeoutMs: remote.d.requestTimeoutMs,
    });
    if (answer.body.case !== "redisKeys") {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `a Redis read answered ${answer.body.case}`);
    }
    return decodeReply(answer.body.value.reply);
  } catch (err) {
    // The region split between the keys since the route was cached: the log's path.
    if (err instanceof ServiceError && err.message.startsWith(MORE_THAN_ONE_REGION)) {
      return undefined;
    }
    throw err;
  }
}

/** A routed read, served from this node's regions only (the route check kept its keys in one). */
export function readRouted(
  reads: NodeReads,
  q: RedisReadQuery,
  c: Consistency,
): Promise<RedisReply> {
  const why = peerReadProblem(q.db, q.args);
  if (why !== undefined) throw new ServiceError(ErrorCode.INVALID_ARGUMENT, why);
  const keys = keysOfRead(q.args);
  const region = regionHere(reads, keys);
  if (region === undefined) {
    throw new ServiceError(ErrorCode.KEY_NOT_IN_REGION, "no local region holds every key");
  }
  return readHere(reads, region, keys, q, c);
}
