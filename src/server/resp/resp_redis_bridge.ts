/**
 * How the RESP port runs the Redis command table (src/redis/): reads on this
 * node's state after the read barrier, writes (and MULTI/EXEC blocks) as one
 * RedisRequest through the Raft log, answered by the applied outcome.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RedisRun } from "../../kv/redis/executor.ts";
import { readRedis } from "../../kv/redis/read_run.ts";
import type { RedisReply } from "../../kv/redis/reply.ts";
import { decodeReply } from "../../kv/redis/reply_codec.ts";
import { ServiceError } from "../kv_service.ts";
import type { RespContext } from "./resp_command.ts";

export interface RedisResult {
  readonly reply: RedisReply;
  /** The database selected after the commands. */
  readonly db: number;
}

export function readOnNode(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  return ctx.service.readState(ctx.consistency, (kv) => readRedis(kv, run));
}

export async function proposeRedis(ctx: RespContext, run: RedisRun): Promise<RedisResult> {
  const outcome = await ctx.service.execute({
    body: {
      case: "redis",
      value: {
        db: run.db,
        commands: run.commands.map((args) => ({ args: [...args] })),
        multi: run.multi,
        watches: run.watches.map((w) => ({ ...w, revision: BigInt(w.revision) })),
      },
    },
  });
  if (outcome.case !== "redis") {
    throw new ServiceError(ErrorCode.UNAVAILABLE, `a Redis command answered with ${outcome.case}`);
  }
  return { reply: decodeReply(outcome.value.reply), db: outcome.value.db };
}

/** One command's reply (a run of one command answers an array of one). */
export function firstReply(r: RedisResult): RedisReply {
  return r.reply.k === "array" && r.reply.items.length === 1 ? r.reply.items[0] : r.reply;
}
