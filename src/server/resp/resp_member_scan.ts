/**
 * SSCAN, and the member scan any collection type can reuse (HSCAN):
 * `memberScan(ctx, args, type)` pages through one hash's or set's members in
 * byte order (member_scan_page.ts). As with SCAN, cursors are numbers this node
 * maps to the member a scan resumes after (scan_cursors.ts), and one call
 * examines at most COUNT members (capped at SCAN_LIMIT_MAX) however sparse the
 * MATCH hits are. On a node holding only some regions, a set's page is read
 * whole by a replica of its key's region (server/node/set_scan_reads.ts): the
 * same page, so the same reply and cursors.
 *
 * Checks run in Redis's order: the cursor, then the key (a missing key is an
 * empty scan whatever the options say), then its type, then the options.
 */
import { checkKey } from "../../kv/redis/database.ts";
import { fail, RedisError, WRONGTYPE } from "../../kv/redis/errors.ts";
import {
  type MemberPage,
  type MemberScanOptions,
  scanMembers,
} from "../../kv/redis/member_scan_page.ts";
import { RedisType } from "../../kv/redis/meta_record.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import type { SetScanReader } from "../redis_keys.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { holdsPart } from "./resp_redis_bridge.ts";
import { openDb, parseScanOptions } from "./resp_scan_commands.ts";

function memberScanOptions(args: readonly Uint8Array[], from: number): MemberScanOptions {
  const { pattern, count } = parseScanOptions(args, from, false);
  return { pattern, count };
}

type Outcome = { page: MemberPage } | { error: Error };

const NO_PAGE: MemberPage = { items: [], next: undefined };

/** The page from this node's state (every region's keys are here). */
async function pageHere(
  ctx: RespContext,
  args: readonly Uint8Array[],
  type: RedisType,
  after: Uint8Array | undefined,
): Promise<MemberPage> {
  const db = ctx.conn.db;
  const outcome = await ctx.service.readState(ctx.consistency, (kv): Outcome => {
    try {
      const rdb = openDb(kv, db);
      const c = rdb.collection(args[1], type, false);
      if (c === undefined) return { page: NO_PAGE };
      return { page: scanMembers(rdb, c, after, memberScanOptions(args, 3)) };
    } catch (err) {
      if (err instanceof RedisError || err instanceof RespCommandError) return { error: err };
      throw err;
    }
  });
  if ("error" in outcome) throw outcome.error;
  return outcome.page;
}

/**
 * A set's page read by its key's region, wherever it is, with the checks in the same order: bad
 * options are reported only once the key is known to be a set (the read asks for one member then).
 */
async function setPageAcross(
  ctx: RespContext,
  args: readonly Uint8Array[],
  after: Uint8Array | undefined,
  read: SetScanReader,
): Promise<MemberPage> {
  checkKey(args[1]); // as the local read's lookup of the key
  let options: MemberScanOptions | undefined, bad: unknown;
  try {
    options = memberScanOptions(args, 3);
  } catch (err) {
    if (!(err instanceof RedisError || err instanceof RespCommandError)) throw err;
    bad = err;
  }
  const q = {
    db: ctx.conn.db,
    key: args[1],
    after,
    options: options ?? { pattern: undefined, count: 1 },
    hereOnly: false,
  };
  const r = await read(q, ctx.consistency);
  if (r.type === undefined) return NO_PAGE;
  if (r.type !== RedisType.Set) fail(WRONGTYPE);
  if (bad !== undefined) throw bad;
  return r.page;
}

/** SSCAN/HSCAN key cursor [MATCH pattern] [COUNT n] over a collection of `type`. */
export async function memberScan(
  ctx: RespContext,
  args: readonly Uint8Array[],
  type: RedisType,
): Promise<Reply> {
  const cursorText = fromUtf8(args[2]);
  if (!/^\d{1,20}$/.test(cursorText)) throw new RespCommandError("invalid cursor");
  const resume = ctx.cursors.lookup(Number(cursorText));
  if (resume === undefined) throw new RespCommandError("invalid cursor");
  const after = resume ?? undefined;
  const across = ctx.service.redisSetScan;
  const { items, next } = type === RedisType.Set && across !== undefined && holdsPart(ctx)
    ? await setPageAcross(ctx, args, after, across)
    : await pageHere(ctx, args, type, after);
  const cursor = next === undefined ? 0 : ctx.cursors.save(next);
  return (w) => {
    w.arrayHeader(2).bulkString(String(cursor)).arrayHeader(items.length);
    for (const item of items) w.bulk(item);
  };
}

export const MEMBER_SCAN_COMMANDS: Record<string, RespCommandSpec> = {
  SSCAN: { arity: -3, kind: "read", run: (ctx, args) => memberScan(ctx, args, RedisType.Set) },
};
