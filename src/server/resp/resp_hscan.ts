/**
 * HSCAN on the RESP port: the executor's HSCAN page (kv/redis/commands/
 * hash_scan.ts) resumed through this node's memory of where its cursors'
 * pages ended (member_scan_resumes.ts), so a full scan of a big hash costs
 * O(fields) here, while any other node (or MULTI) still understands the
 * cursor by its position. docs/resp.md#hscan-cursors.
 */
import { parseCursor, scanHash, scanReply } from "../../kv/redis/commands/hash_scan.ts";
import { RedisError } from "../../kv/redis/errors.ts";
import type { ScanCursors } from "./scan_cursors.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { writeReply } from "./resp_reply.ts";
import { openDb } from "./resp_scan_commands.ts";
import { MemberScanResumes } from "./member_scan_resumes.ts";
import { firstReply, holdsPart, readOnNode } from "./resp_redis_bridge.ts";

/** One table per RESP server: keyed by the server's SCAN cursor table, its node-local state. */
const RESUMES = new WeakMap<ScanCursors, MemberScanResumes>();

export function resumesOf(ctx: RespContext): MemberScanResumes {
  let table = RESUMES.get(ctx.cursors);
  if (table === undefined) {
    table = new MemberScanResumes();
    RESUMES.set(ctx.cursors, table);
  }
  return table;
}

function resumeHint(ctx: RespContext, args: readonly Uint8Array[]): Uint8Array | undefined {
  try {
    return resumesOf(ctx).find(ctx.conn.db, args[1], parseCursor(args[2]));
  } catch (err) {
    if (err instanceof RedisError) return undefined; // scanHash answers the bad cursor
    throw err;
  }
}

async function hscan(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const db = ctx.conn.db;
  if (holdsPart(ctx)) {
    // The key's region may be elsewhere: the executor's HSCAN by a replica of that region, like
    // every other Redis read of known keys there (resp_redis_bridge.ts, redis_command_reads.ts);
    // its cursor is the bare position, valid on all nodes.
    const run = { db, commands: [args as Uint8Array[]], multi: false, watches: [] };
    const reply = firstReply(await readOnNode(ctx, run));
    return (w) => writeReply(w, reply);
  }
  const after = resumeHint(ctx, args);
  const page = await ctx.service.readState(ctx.consistency, (kv) => {
    try {
      return scanHash(openDb(kv, db), args, after);
    } catch (err) {
      if (err instanceof RedisError) return err;
      throw err;
    }
  });
  if (page instanceof RedisError) throw page;
  const cursor = page.next === undefined ? 0 : resumesOf(ctx).save(db, args[1], page.next);
  const reply = scanReply(cursor, page.items);
  return (w) => writeReply(w, reply);
}

export const HSCAN_COMMANDS: Record<string, RespCommandSpec> = {
  HSCAN: { arity: -3, kind: "read", run: hscan },
};
