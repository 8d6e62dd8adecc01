/**
 * `RedisKeysRequest` (docs/protocol.md): one region's Redis keys over a span, or its key count,
 * for a node stitching RESP SCAN, KEYS or DBSIZE over regions it does not hold
 * (src/server/node/stitched_redis_keys.ts); or, with `set_scan`, one SSCAN page of a set in the
 * region (src/server/node/set_scan_reads.ts); or, with `command`, a Redis read of keys in the
 * region, answered with its reply (src/server/node/redis_command_reads.ts). Peers only
 * (request_access.ts); a routed request is checked against its region first (route_check.ts) and
 * served from this node's regions only.
 * Decoded from untrusted bytes: the database, the limit, the span and the set's key are checked
 * before the read; a command must be a read of the table with keys, within its limits.
 */
import {
  type ClientRequest,
  ErrorCode,
  type RedisKeysRequest,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import { checkKey } from "../../kv/redis/database.ts";
import { RedisError } from "../../kv/redis/errors.ts";
import { REDIS_DATABASES, SCAN_LIMIT_MAX } from "../../limits.ts";
import { REDIS_KEYS_PART_MAX, REDIS_PEER_READ_REPLY_BYTES_MAX } from "../../limits_ops.ts";
import { encodeReply } from "../../kv/redis/reply_codec.ts";
import { peerReadProblem } from "../node/redis_command_reads.ts";
import { compareBytes } from "../../util/bytes.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import { consistencyOf } from "./read_handler.ts";
import { errorResponse, type ResponseInit } from "./responses.ts";

/** Why the request is malformed, or undefined. */
function problemOf(r: RedisKeysRequest): string | undefined {
  if (r.db >= REDIS_DATABASES) return `db ${r.db} is not a Redis database (0-15)`;
  if (r.setScan) return setScanProblem(r);
  if (!r.count && (r.limit < 1 || r.limit > REDIS_KEYS_PART_MAX)) {
    return `limit ${r.limit} is not within 1-${REDIS_KEYS_PART_MAX}`;
  }
  if (r.end.length > 0 && compareBytes(r.start, r.end) >= 0) return "start is not below end";
  return undefined;
}

/** Why an SSCAN page's request is malformed (a key the engine could not hold), or undefined. */
function setScanProblem(r: RedisKeysRequest): string | undefined {
  if (r.limit < 1 || r.limit > SCAN_LIMIT_MAX) {
    return `limit ${r.limit} is not within 1-${SCAN_LIMIT_MAX}`;
  }
  try {
    checkKey(r.setKey);
  } catch (err) {
    if (err instanceof RedisError) return err.message;
    throw err;
  }
  return undefined;
}

/** One SSCAN page of the set at `r.setKey`. */
async function setScan(
  req: ClientRequest,
  r: RedisKeysRequest,
  service: KvService,
  fallback: Consistency,
): Promise<ResponseInit> {
  if (service.redisSetScan === undefined) {
    return errorResponse(ErrorCode.FAILED_PRECONDITION, "this node serves no SSCAN reads");
  }
  const s = await service.redisSetScan({
    db: r.db,
    key: r.setKey,
    after: r.hasAfter ? r.after : undefined,
    options: { pattern: r.hasPattern ? r.pattern : undefined, count: r.limit },
    hereOnly: req.route !== undefined,
  }, consistencyOf(r.consistency, fallback));
  const next = s.page.next;
  const value = {
    keyType: s.type ?? 0,
    members: s.page.items,
    next: next ?? new Uint8Array(0),
    hasNext: next !== undefined,
  };
  return { body: { case: "redisKeys", value } };
}

/** A Redis read command run on this node's regions (redis_command_reads.ts): its reply. */
async function command(
  req: ClientRequest,
  r: RedisKeysRequest,
  service: KvService,
  fallback: Consistency,
): Promise<ResponseInit> {
  const why = peerReadProblem(r.db, r.command);
  if (why !== undefined) return errorResponse(ErrorCode.INVALID_ARGUMENT, why);
  if (service.redisRead === undefined || req.route === undefined) {
    // Only a routed read: a node never sends one on, so its region must be this node's.
    const what = service.redisRead === undefined ? "serves no Redis reads" : "needs a route";
    return errorResponse(ErrorCode.FAILED_PRECONDITION, `a peer's Redis read ${what}`);
  }
  const q = { db: r.db, args: r.command, hereOnly: true };
  const reply = await service.redisRead(q, consistencyOf(r.consistency, fallback));
  if (reply === undefined) throw new Error("a routed Redis read answered nothing");
  const bytes = encodeReply(reply);
  if (bytes.length > REDIS_PEER_READ_REPLY_BYTES_MAX) {
    return errorResponse(
      ErrorCode.TOO_LARGE,
      `the reply is ${bytes.length} bytes, over REDIS_PEER_READ_REPLY_BYTES_MAX ` +
        `(${REDIS_PEER_READ_REPLY_BYTES_MAX}, docs/limits.md): read it in parts (HSCAN, SSCAN)`,
    );
  }
  return { body: { case: "redisKeys", value: { reply: bytes } } };
}

export async function handleRedisKeys(
  req: ClientRequest,
  r: RedisKeysRequest,
  service: KvService,
  fallback: Consistency,
): Promise<ResponseInit> {
  if (r.command.length > 0) return await command(req, r, service, fallback);
  const why = problemOf(r);
  if (why !== undefined) return errorResponse(ErrorCode.INVALID_ARGUMENT, why);
  if (r.setScan) return await setScan(req, r, service, fallback);
  if (service.redisKeys === undefined) {
    return errorResponse(ErrorCode.FAILED_PRECONDITION, "this node serves no Redis key reads");
  }
  const page = await service.redisKeys({
    db: r.db,
    span: { start: r.start, end: r.end },
    limit: r.limit,
    count: r.count,
    hereOnly: req.route !== undefined,
  }, consistencyOf(r.consistency, fallback));
  const keys = page.keys.map((k) => ({ key: k.key, type: k.type }));
  return {
    body: {
      case: "redisKeys",
      value: { keys, more: page.more, counts: page.counts.map((n) => BigInt(n)) },
    },
  };
}
