/**
 * Reads of Redis keys over a key span, for RESP `SCAN`, `KEYS` and `DBSIZE` on a node whose
 * regions leave part of the keyspace to others (docs/resp.md "On a node holding some regions"):
 * the asking node stitches them from its own regions and from reads it sends, routed, to the
 * other regions' replicas (`RedisKeysRequest`). A Redis key of any database lies in the region
 * holding the same bytes as a user key, so a span of user keys is a span of Redis keys too.
 */
import type { MemberPage, MemberScanOptions } from "../kv/redis/member_scan_page.ts";
import type { RedisType } from "../kv/redis/meta_record.ts";
import type { RedisReply } from "../kv/redis/reply.ts";
import type { KeySpan } from "../region/region_catalog.ts";
import type { Consistency } from "./kv_service.ts";

export interface RedisKeysQuery {
  readonly db: number;
  /** The keys `[start, end)` (empty end: no bound). With `count`: one region's whole range. */
  readonly span: KeySpan;
  /** At most this many keys (bounded by the caller: RESP_KEYS_MAX + 1 for the stitched walk). */
  readonly limit: number;
  /** The number of keys of each database the span's regions hold, instead of the keys. */
  readonly count: boolean;
  /** Served from this node's regions only (a routed request): never stitched. */
  readonly hereOnly: boolean;
}

export interface RedisKeyEntry {
  readonly key: Uint8Array;
  readonly type: RedisType;
}

export interface RedisKeysPage {
  readonly keys: RedisKeyEntry[];
  /** Keys of the span follow the last one returned. */
  readonly more: boolean;
  /**
   * With `count`: the keys of each database 0-15 (expired ones not yet deleted included, as
   * DBSIZE); else empty.
   */
  readonly counts: number[];
}

/** How a node answers RedisKeysQuery (src/server/node/redis_key_reads.ts). */
export type RedisKeysReader = (q: RedisKeysQuery, c: Consistency) => Promise<RedisKeysPage>;

/**
 * One SSCAN page of the set at `key` in database `db`, for RESP `SSCAN` on a node that may not
 * hold the key's region: read by a replica of that region (a `RedisKeysRequest` with
 * `set_scan`), never sent on again when `hereOnly`.
 */
export interface SetScanQuery {
  readonly db: number;
  readonly key: Uint8Array;
  /** The member the scan resumes after (exclusive); undefined: from the first. */
  readonly after: Uint8Array | undefined;
  readonly options: MemberScanOptions;
  readonly hereOnly: boolean;
}

export interface SetScanPage {
  /** The key's type; undefined: no such key (or it expired). The page is empty unless a set. */
  readonly type: RedisType | undefined;
  readonly page: MemberPage;
}

/** How a node answers SetScanQuery (src/server/node/redis_key_reads.ts). */
export type SetScanReader = (q: SetScanQuery, c: Consistency) => Promise<SetScanPage>;

/**
 * A Redis read command of known keys in database `db` (`args`: its name and arguments), for
 * RESP on a node that may not hold their region: read by a replica of the region holding every
 * key (a `RedisKeysRequest` with `command`), never sent on again when `hereOnly`.
 */
export interface RedisReadQuery {
  readonly db: number;
  readonly args: readonly Uint8Array[];
  readonly hereOnly: boolean;
}

/**
 * How a node answers RedisReadQuery (src/server/node/redis_command_reads.ts): the command's
 * reply; undefined when its keys lie in several regions (or it is not a read served so), for the
 * log to run it instead. Never undefined for a query `hereOnly`.
 */
export type RedisReadReader = (
  q: RedisReadQuery,
  c: Consistency,
) => Promise<RedisReply | undefined>;
