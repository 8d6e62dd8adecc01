/**
 * SCAN, KEYS, DBSIZE, RANDOMKEY and INFO's key counts on a node whose regions leave part of the
 * keyspace to other nodes (docs/resp.md "On a node holding some regions"): the keys are read in
 * key order from the node's regions and, routed, from the other regions' replicas
 * (src/server/redis_keys.ts), and the reply is built exactly as the one-region node builds it from
 * the same keys — COUNT keys examined after the cursor's key, MATCH and TYPE applied to them — so
 * the replies are the same bytes. Each region's part is read with the connection's consistency;
 * the parts are stitched, not one snapshot: a key present for the whole of a SCAN iteration is
 * returned, and DBSIZE is the sum of each region's count as it read it.
 */
import { KEY_BYTES_MAX, REDIS_RANDOMKEY_SAMPLE_MAX, RESP_KEYS_MAX } from "../../limits.ts";
import { globMatch, literalPrefix } from "../../kv/redis/glob.ts";
import { TYPE_NAMES } from "../../kv/redis/meta_record.ts";
import type { KeySpan } from "../../region/region_catalog.ts";
import { keySpan } from "../../region/region_catalog.ts";
import { compareBytes, prefixEnd } from "../../util/bytes.ts";
import type { Consistency } from "../kv_service.ts";
import type { RedisKeyEntry } from "../redis_keys.ts";
import type { RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";

export interface KeyFilter {
  readonly pattern: Uint8Array | undefined;
  readonly type: string | undefined;
}

const EMPTY = new Uint8Array(0);
const WHOLE: KeySpan = { start: EMPTY, end: EMPTY };

/** Whether the node reads Redis keys across regions (it has the reader). */
export function readsKeysAcross(ctx: RespContext): boolean {
  return ctx.service.redisKeys !== undefined;
}

/** Whether a key passes SCAN's TYPE and MATCH. */
export function passes(e: RedisKeyEntry, f: KeyFilter): boolean {
  const typeOk = f.type === undefined || TYPE_NAMES[e.type] === f.type;
  return typeOk && (f.pattern === undefined || globMatch(f.pattern, e.key));
}

/** The keys of `e` that pass the filter, in order. */
function passing(e: readonly RedisKeyEntry[], f: KeyFilter): Uint8Array[] {
  return e.filter((k) => passes(k, f)).map((k) => k.key);
}

/** Up to `limit` keys of database `db` (default: the selected one) in `span`, in key order. */
async function keysIn(
  ctx: RespContext,
  span: KeySpan,
  limit: number,
  db = ctx.conn.db,
): Promise<RedisKeyEntry[]> {
  const read = ctx.service.redisKeys;
  if (read === undefined) throw new Error("the node reads no Redis keys across regions");
  const q = { db, span, limit, count: false, hereOnly: false };
  return (await read(q, ctx.consistency)).keys;
}

/**
 * The keys a pattern's literal prefix allows, from after `after` (exclusive) when given;
 * undefined when none can (a prefix longer than any key: nothing is read or sent).
 */
function spanOf(
  pattern: Uint8Array | undefined,
  after: Uint8Array | undefined,
): KeySpan | undefined {
  const prefix = pattern === undefined ? EMPTY : literalPrefix(pattern);
  if (prefix.length > KEY_BYTES_MAX) return undefined;
  const end = prefixEnd(prefix) ?? EMPTY;
  // Keys before the pattern's literal prefix cannot match: start there (as the one-region scan).
  const start = after !== undefined && compareBytes(after, prefix) >= 0
    ? keySpan(after).end
    : prefix;
  if (end.length > 0 && compareBytes(start, end) >= 0) return undefined;
  return { start, end };
}

/** A SCAN page: `count` keys examined after `after`; `next`: the last of them, if more follow. */
export async function scanAcross(
  ctx: RespContext,
  after: Uint8Array | undefined,
  count: number,
  f: KeyFilter,
): Promise<{ found: Uint8Array[]; next: Uint8Array | undefined }> {
  const span = spanOf(f.pattern, after);
  if (span === undefined) return { found: [], next: undefined };
  const keys = await keysIn(ctx, span, count + 1);
  const examined = keys.slice(0, count);
  const next = keys.length > count ? examined[examined.length - 1]?.key : undefined;
  return { found: passing(examined, f), next };
}

/** KEYS: every key matching `pattern`, or KEYS's error past RESP_KEYS_MAX keys examined. */
export async function keysAcross(ctx: RespContext, pattern: Uint8Array): Promise<Uint8Array[]> {
  const span = spanOf(pattern, undefined);
  if (span === undefined) return [];
  const keys = await keysIn(ctx, span, RESP_KEYS_MAX + 1);
  if (keys.length > RESP_KEYS_MAX) {
    throw new RespCommandError(`KEYS would examine more than ${RESP_KEYS_MAX} keys; use SCAN`);
  }
  return passing(keys, { pattern, type: undefined });
}

/** The keys of each database 0-15, each region's counts added (DBSIZE, INFO keyspace). */
export async function countsAcross(ctx: RespContext, c: Consistency): Promise<number[]> {
  const read = ctx.service.redisKeys;
  if (read === undefined) throw new Error("the node reads no Redis keys across regions");
  const q = { db: 0, span: WHOLE, limit: 0, count: true, hereOnly: false };
  return (await read(q, c)).counts;
}

/** DBSIZE: database `db`'s keys, each region's count added. */
export async function dbsizeAcross(ctx: RespContext, db: number): Promise<number> {
  return (await countsAcross(ctx, ctx.consistency))[db] ?? 0;
}

/**
 * RANDOMKEY as the executor picks one (key_object.ts): among up to REDIS_RANDOMKEY_SAMPLE_MAX keys
 * from a random place, wrapping around to the first keys. Math.random, as the node's read storage
 * (read_storage.ts): a read's choice is never replayed.
 */
export async function randomKeyAcross(
  ctx: RespContext,
  db: number,
): Promise<Uint8Array | undefined> {
  const start = new Uint8Array(4).map(() => Math.floor(Math.random() * 256));
  const max = REDIS_RANDOMKEY_SAMPLE_MAX;
  const sample = (await keysIn(ctx, { start, end: EMPTY }, max, db)).map((e) => e.key);
  if (sample.length < max) {
    const before = await keysIn(ctx, { start: EMPTY, end: start }, max - sample.length, db);
    sample.push(...before.map((e) => e.key));
  }
  return sample.length === 0 ? undefined : sample[Math.floor(Math.random() * sample.length)];
}
