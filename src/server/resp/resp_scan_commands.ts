/**
 * SCAN and KEYS over the selected database, with Redis's glob MATCH and TYPE.
 * SCAN cursors are numbers that this node maps to the key a scan resumes
 * after (scan_cursors.ts); each call examines at most COUNT keys (bounded by
 * SCAN_LIMIT_MAX), so its cost is bounded however sparse the matches are.
 * The resume key is a key, not a position: it stays valid across region
 * boundaries, splits and merges, and on a node holding some regions the keys
 * after it are read across regions (resp_keys_across.ts) with the same reply.
 */
import { RESP_KEYS_MAX, SCAN_LIMIT_MAX } from "../../limits.ts";
import { intArg } from "../../kv/redis/command.ts";
import { type KeyBound, RedisDb } from "../../kv/redis/database.ts";
import { literalPrefix } from "../../kv/redis/glob.ts";
import { readStorageOf } from "../../kv/redis/read_run.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import { compareBytes, fromUtf8, hasPrefix } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { holdsPart } from "./resp_redis_bridge.ts";
import {
  type KeyFilter,
  keysAcross,
  passes,
  readsKeysAcross,
  scanAcross,
} from "./resp_keys_across.ts";

type ScanFilter = KeyFilter;

/**
 * On a node whose regions leave part of the keyspace to others, SCAN and KEYS read their keys
 * across regions (resp_keys_across.ts); elsewhere from the node's state, in one read.
 */
function acrossRegions(ctx: RespContext): boolean {
  return readsKeysAcross(ctx) && holdsPart(ctx);
}

export function openDb(kv: KvStateMachine, db: number): RedisDb {
  return new RedisDb(readStorageOf(kv), db);
}

/** Up to `examine` keys after `after` that pass the filter; `next`: where to resume, if more. */
function scanKeys(db: RedisDb, after: Uint8Array | undefined, examine: number, f: ScanFilter) {
  const prefix = f.pattern === undefined ? new Uint8Array(0) : literalPrefix(f.pattern);
  // Keys before the pattern's literal prefix cannot match: start there.
  const start: KeyBound = after !== undefined && compareBytes(after, prefix) >= 0
    ? { key: after, inclusive: false }
    : { key: prefix, inclusive: true };
  const found: Uint8Array[] = [];
  let last: Uint8Array | undefined, seen = 0, more = false;
  for (const e of db.keys(start)) {
    if (!hasPrefix(e.key, prefix)) break;
    if (seen === examine) {
      more = true;
      break;
    }
    seen++;
    last = e.key;
    if (passes(e, f)) found.push(e.key);
  }
  return { found, next: more ? last : undefined };
}

/** SCAN's options (and SSCAN's and HSCAN's, without TYPE): Redis's errors, COUNT capped. */
export function parseScanOptions(args: readonly Uint8Array[], from: number, typeOk = true) {
  let pattern: Uint8Array | undefined, type: string | undefined, count = 10;
  for (let i = from; i < args.length; i += 2) {
    const opt = fromUtf8(args[i]).toUpperCase();
    const arg = args[i + 1];
    if (arg === undefined) throw new RespCommandError("syntax error");
    if (opt === "MATCH") pattern = arg;
    else if (opt === "COUNT") {
      count = intArg(arg);
      if (count < 1) throw new RespCommandError("syntax error");
    } else if (opt === "TYPE" && typeOk) type = fromUtf8(arg).toLowerCase();
    else throw new RespCommandError("syntax error");
  }
  return { pattern, type, count: Math.min(count, SCAN_LIMIT_MAX) };
}

async function scan(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const cursorText = fromUtf8(args[1]);
  // Redis reads the cursor as unsigned: a negative one is past every table, an empty last page.
  if (/^-\d{1,19}$/.test(cursorText)) return (w) => w.arrayHeader(2).bulkString("0").arrayHeader(0);
  if (!/^\d{1,20}$/.test(cursorText)) throw new RespCommandError("invalid cursor");
  const resume = ctx.cursors.lookup(Number(cursorText));
  if (resume === undefined) throw new RespCommandError("invalid cursor");
  const { pattern, type, count } = parseScanOptions(args, 2);
  const filter = { pattern, type };
  const db = ctx.conn.db;
  const page = acrossRegions(ctx)
    ? await scanAcross(ctx, resume ?? undefined, count, filter)
    : await ctx.service.readState(ctx.consistency, (kv) => {
      return scanKeys(openDb(kv, db), resume ?? undefined, count, filter);
    });
  const next = page.next === undefined ? 0 : ctx.cursors.save(page.next);
  return (w) => {
    w.arrayHeader(2).bulkString(String(next)).arrayHeader(page.found.length);
    for (const k of page.found) w.bulk(k);
  };
}

async function keys(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const db = ctx.conn.db;
  if (acrossRegions(ctx)) {
    const found = await keysAcross(ctx, args[1]);
    return (w) => {
      w.arrayHeader(found.length);
      for (const k of found) w.bulk(k);
    };
  }
  const found = await ctx.service.readState(ctx.consistency, (kv) => {
    const page = scanKeys(openDb(kv, db), undefined, RESP_KEYS_MAX, {
      pattern: args[1],
      type: undefined,
    });
    return page.next === undefined ? page.found : undefined;
  });
  if (found === undefined) {
    throw new RespCommandError(`KEYS would examine more than ${RESP_KEYS_MAX} keys; use SCAN`);
  }
  return (w) => {
    w.arrayHeader(found.length);
    for (const k of found) w.bulk(k);
  };
}

export const SCAN_COMMANDS: Record<string, RespCommandSpec> = {
  SCAN: { arity: -2, kind: "read", run: scan },
  KEYS: { arity: 2, kind: "read", run: keys },
};
