/**
 * Pieces of the session's command dispatch (resp_session.ts): the error reply of a failed
 * command, a data command of the Redis table, and the per-command counters.
 */
import { RedisError } from "../../kv/redis/errors.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import {
  newSlot,
  type Reply,
  RespCommandError,
  type RespContext,
  type Slot,
} from "./resp_command.ts";
import type { WatchedKey } from "../../kv/redis/executor.ts";
import { subscribedRefusal } from "./resp_pubsub.ts";
import { respErrorFor } from "./resp_errors.ts";
import type { RespCommand, RespProtocolError } from "./resp_parser.ts";
import {
  firstReply,
  proposeToEnd,
  readOnNode,
  readOnNodeNow,
  type RedisResult,
} from "./resp_redis_bridge.ts";
import { writeReply } from "./resp_reply.ts";

export function errorReply(err: unknown): Reply {
  if (err instanceof RedisError) return (w) => w.error(err.line);
  if (err instanceof RespCommandError) {
    const m = err.message;
    return (w) => w.error(/^(NOPROTO|WRONGPASS) /.test(m) ? m : `ERR ${m}`);
  }
  const message = respErrorFor(err);
  return (w) => w.error(message);
}

/** A slot answering an error line. */
export function refuse(line: string): Slot {
  return newSlot("local", () => (w) => w.error(line));
}

/** The slot answering bad input (after the commands before it); the connection then closes. */
export function protocolFailure(ctx: RespContext, err: RespProtocolError): Slot {
  const line = `ERR Protocol error: ${err.message}`;
  return {
    kind: "local",
    start: () => (w) => {
      w.error(line);
      ctx.conn.quit = true;
    },
    started: false,
    done: false,
    reply: undefined,
  };
}

/** Commands CLIENT LIST shows with their subcommand ("client|list"), as Redis does. */
const CONTAINERS = new Set(["ACL", "CLIENT", "COMMAND", "CONFIG", "OBJECT"]);

/**
 * A data command of the Redis table: a read on this node, or a write through the log. A read
 * whose barrier is already met is answered synchronously (no promise, same turn). A class, not
 * closures: every pipelined SET and GET of the general path makes one.
 */
class DataSlot implements Slot {
  started = false;
  done = false;
  reply: Reply | undefined = undefined;

  constructor(
    readonly ctx: RespContext,
    readonly args: RespCommand,
    readonly kind: "read" | "write",
  ) {}

  start(): Reply | Promise<Reply> {
    const ctx = this.ctx;
    // Refused at its turn when the connection is subscribed (RESP2), as unlessSubscribed does.
    const refusal = subscribedRefusal(ctx, this.args);
    if (refusal !== undefined) return (w) => w.error(refusal);
    const run = { db: ctx.conn.db, commands: [this.args], multi: false, watches: NO_WATCHES };
    if (this.kind === "read") {
      const now = readOnNodeNow(ctx, run);
      if (now !== undefined) return replyOf(now);
      return readOnNode(ctx, run).then(replyOf);
    }
    ctx.conn.wrote = true;
    return proposeToEnd(ctx, run, replyOf);
  }
}

const NO_WATCHES: readonly WatchedKey[] = [];

export function dataSlot(ctx: RespContext, args: RespCommand, kind: "read" | "write"): Slot {
  return new DataSlot(ctx, args, kind);
}

function replyOf(result: RedisResult): Reply {
  const reply = firstReply(result);
  return (w) => writeReply(w, reply);
}

/** Counts the command for INFO stats and CLIENT LIST (cmd, idle). */
export function countCommand(
  ctx: RespContext,
  name: string,
  args: RespCommand,
  known: boolean,
): void {
  const { conn, node } = ctx;
  node.stats.commandsProcessed++;
  conn.lastCommandMs = node.clock.nowMs();
  // Only known names: CLIENT LIST must not show what a client typed (spaces, newlines).
  if (!known) return;
  const sub = CONTAINERS.has(name) && args.length > 1 ? fromUtf8(args[1]).toLowerCase() : "";
  conn.lastCommand = sub !== "" && /^[a-z-]{1,32}$/.test(sub)
    ? `${lowered(name)}|${sub}`
    : lowered(name);
}

/** Known command names in lower case, made once per name (a string per command otherwise). */
const LOWERED = new Map<string, string>();

function lowered(name: string): string {
  let s = LOWERED.get(name);
  if (s === undefined) LOWERED.set(name, s = name.toLowerCase());
  return s;
}
