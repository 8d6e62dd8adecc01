/**
 * SSCAN, and the member scan any collection type can reuse (HSCAN):
 * `memberScan(ctx, args, type)` pages through one hash's or set's members in
 * byte order. As with SCAN, cursors are numbers this node maps to the member a
 * scan resumes after (scan_cursors.ts), and one call examines at most COUNT
 * members (capped at SCAN_LIMIT_MAX) however sparse the MATCH hits are.
 *
 * Checks run in Redis's order: the cursor, then the key (a missing key is an
 * empty scan whatever the options say), then its type, then the options.
 */
import type { Collection, RedisDb } from "../../kv/redis/database.ts";
import { RedisError } from "../../kv/redis/errors.ts";
import { globMatch, literalPrefix } from "../../kv/redis/glob.ts";
import { RedisType } from "../../kv/redis/meta_record.ts";
import { compareBytes, fromUtf8, hasPrefix } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { parseScanOptions } from "./resp_scan_commands.ts";
import { openDb } from "./resp_scan_commands.ts";

interface MemberScanOptions {
  readonly pattern: Uint8Array | undefined;
  readonly count: number;
}

interface MemberPage {
  /** Members (a set) or field, value pairs (a hash), flat. */
  readonly items: Uint8Array[];
  /** The last member examined, when more may follow. */
  readonly next: Uint8Array | undefined;
}

function memberScanOptions(args: readonly Uint8Array[], from: number): MemberScanOptions {
  const { pattern, count } = parseScanOptions(args, from, false);
  return { pattern, count };
}

/** Up to `o.count` members after `after`; members before MATCH's literal prefix are skipped. */
function scanMembers(
  db: RedisDb,
  c: Collection,
  after: Uint8Array | undefined,
  o: MemberScanOptions,
): MemberPage {
  const prefix = o.pattern === undefined ? new Uint8Array(0) : literalPrefix(o.pattern);
  const fromPrefix = after === undefined || compareBytes(after, prefix) < 0;
  const items: Uint8Array[] = [];
  let seen = 0, last: Uint8Array | undefined;
  const visit = (member: Uint8Array, value: Uint8Array) => {
    seen++;
    last = member;
    if (o.pattern !== undefined && !globMatch(o.pattern, member)) return;
    items.push(member);
    if (c.type === RedisType.Hash) items.push(value);
  };
  // members() starts after a bound, exclusive: the prefix itself may be a member.
  const exact = fromPrefix && prefix.length > 0 ? db.member(c, prefix) : undefined;
  if (exact !== undefined) visit(prefix, exact);
  for (const [member, value] of db.members(c, fromPrefix ? prefix : after)) {
    if (!hasPrefix(member, prefix)) return { items, next: undefined };
    if (seen === o.count) return { items, next: last };
    visit(member, value);
  }
  return { items, next: undefined };
}

type Outcome = { page: MemberPage } | { error: Error };

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
  const db = ctx.conn.db;
  const outcome = await ctx.service.readState(ctx.consistency, (kv): Outcome => {
    try {
      const rdb = openDb(kv, db);
      const c = rdb.collection(args[1], type, false);
      if (c === undefined) return { page: { items: [], next: undefined } };
      return { page: scanMembers(rdb, c, resume ?? undefined, memberScanOptions(args, 3)) };
    } catch (err) {
      if (err instanceof RedisError || err instanceof RespCommandError) return { error: err };
      throw err;
    }
  });
  if ("error" in outcome) throw outcome.error;
  const { items, next } = outcome.page;
  const cursor = next === undefined ? 0 : ctx.cursors.save(next);
  return (w) => {
    w.arrayHeader(2).bulkString(String(cursor)).arrayHeader(items.length);
    for (const item of items) w.bulk(item);
  };
}

export const MEMBER_SCAN_COMMANDS: Record<string, RespCommandSpec> = {
  SSCAN: { arity: -3, kind: "read", run: (ctx, args) => memberScan(ctx, args, RedisType.Set) },
};
