/**
 * A run of plain GETs one connection pipelined (consecutive in one socket read, each parsed by
 * the parser's fast path) as one slot of the session: one read barrier, one storage view and
 * one pass over the keys for all of them, and replies written straight from the values. Each
 * GET still answers on its own, in order, exactly as it would alone; only the bookkeeping per
 * command is shared. The session takes this path only where nothing per command could differ:
 * authentication off, no MULTI, CLIENT REPLY ON (resp_session.ts).
 */
import { type GetAnswer, readGets } from "../../kv/redis/read_run.ts";
import type { Reply, RespContext, Slot } from "./resp_command.ts";
import { countCommand, errorReply } from "./resp_dispatch.ts";
import { GET_UPPER, isPlainGet, type RespCommand } from "./resp_parser.ts";
import { subscribedRefusal } from "./resp_pubsub.ts";
import type { RespWriter } from "./resp_writer.ts";

/** Most GETs one slot takes: a longer run continues in the next slot. */
export const GET_RUN_MAX = 256;

/**
 * The plain GETs at `waiting[from]` and after, as one slot answering `commands` of them (counted
 * for INFO and CLIENT LIST); undefined where they must go one by one (users or MULTI).
 */
export function takeGetRun(
  ctx: RespContext,
  waiting: readonly RespCommand[],
  from: number,
): (Slot & { readonly commands: number }) | undefined {
  if (ctx.auth !== undefined || ctx.conn.multi !== undefined) return undefined;
  const keys: Uint8Array[] = [];
  for (let i = from; i < waiting.length && keys.length < GET_RUN_MAX; i++) {
    if (!isPlainGet(waiting[i])) break;
    keys.push(waiting[i][1]);
  }
  countCommand(ctx, "GET", waiting[from], true);
  ctx.node.stats.commandsProcessed += keys.length - 1;
  return {
    kind: "read",
    start: () => startGets(ctx, keys),
    started: false,
    done: false,
    reply: undefined,
    commands: keys.length,
  };
}

function startGets(ctx: RespContext, keys: Uint8Array[]): Reply | Promise<Reply> {
  const n = keys.length;
  // A RESP2 connection that subscribed meanwhile refuses each of them, as it would one GET.
  const refusal = subscribedRefusal(ctx, [GET_UPPER]);
  if (refusal !== undefined) return (w) => repeat(w, n, (w) => w.error(refusal));
  const db = ctx.conn.db;
  const read = (kv: Parameters<typeof readGets>[0]) => readGets(kv, db, keys);
  try {
    const now = ctx.service.readStateNow?.(ctx.consistency, read);
    if (now !== undefined) return repliesOf(now.value);
  } catch (err) {
    return failed(err, n);
  }
  return ctx.service.readState(ctx.consistency, read).then(repliesOf, (err) => failed(err, n));
}

function repliesOf(answers: GetAnswer[]): Reply {
  return (w) => {
    for (const a of answers) {
      if (typeof a === "string") w.error(a);
      else w.bulk(a);
    }
  };
}

/** The read failed (no leader, timeout, a fault): every GET of the run gets the error. */
function failed(err: unknown, n: number): Reply {
  const one = errorReply(err);
  return (w) => repeat(w, n, one);
}

function repeat(w: RespWriter, n: number, one: Reply): void {
  for (let i = 0; i < n; i++) one(w);
}
