/**
 * A connection's commands between MULTI and EXEC: queued (answered QUEUED), or refused while
 * queuing, which makes EXEC fail (Redis 7's EXECABORT).
 */
import { REDIS_MULTI_COMMANDS_MAX } from "../../limits.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { QUEUED } from "../../kv/redis/reply.ts";
import { newSlot, type RespContext, type Slot } from "./resp_command.ts";
import { refuse } from "./resp_dispatch.ts";
import type { RespCommand } from "./resp_parser.ts";
import { writeReply } from "./resp_reply.ts";

/** A refused EXEC ends any transaction, saying why (Redis 7, inside MULTI or not). */
export function abortExec(ctx: RespContext, error: string): Slot {
  ctx.conn.multi = undefined;
  ctx.conn.watches.clear();
  const why = error.replace(/^ERR /, "");
  return refuse(`EXECABORT Transaction discarded because of: ${why}`);
}

/** A command refused while queuing makes EXEC fail (Redis's EXECABORT). */
export function failQueued(ctx: RespContext, s: Slot): Slot {
  if (ctx.conn.multi !== undefined) ctx.conn.multiFailed = true;
  return s;
}

/** Queues `args` in the connection's open transaction. */
export function queueInMulti(ctx: RespContext, args: RespCommand): Slot {
  const queue = ctx.conn.multi ?? [];
  const name = lowerName(args[0]);
  if (REDIS_COMMANDS.get(name)?.run === undefined) {
    return failQueued(ctx, refuse(`ERR '${name}' cannot run inside MULTI on TinyKV`));
  }
  if (queue.length >= REDIS_MULTI_COMMANDS_MAX) {
    return failQueued(ctx, refuse(`ERR more than ${REDIS_MULTI_COMMANDS_MAX} commands in MULTI`));
  }
  queue.push(args);
  return newSlot("local", () => (w) => writeReply(w, QUEUED));
}
