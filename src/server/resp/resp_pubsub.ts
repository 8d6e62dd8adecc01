/**
 * Pub/sub on the RESP port: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
 * PUBSUB PUBLISH, PING's subscribed-mode reply, and the RESP2 rule that a
 * subscribed connection runs only (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT
 * and RESET. Replies match redis-server 7.0 byte for byte (RESP2 arrays, RESP3
 * pushes); tests/server/resp/resp_pubsub_test.ts holds them.
 *
 * (Un)subscribing runs "exclusive": after every earlier command of the
 * connection has answered, and its reply is written in the same turn as the
 * node's hub learns of it, so a message never overtakes the confirmation.
 */
import { RedisError, wrongArity } from "../../kv/redis/errors.ts";
import { int, type RedisReply } from "../../kv/redis/reply.ts";
import { TooManySubscriptionsError } from "../pubsub/pubsub_client.ts";
import type { PubSubHub } from "../pubsub/pubsub_hub.ts";
import { NotifyFlagsError, parseNotifyFlags } from "../pubsub/notify_config.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext, Start } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { firstReply, proposeRedis } from "./resp_redis_bridge.ts";
import { writeReply } from "./resp_reply.ts";
import type { RespWriter } from "./resp_writer.ts";
import { PUBSUB_INFO } from "./resp_pubsub_info.ts";

/** What a subscribed RESP2 connection may still run (Redis's list, S-variants included). */
const SUBSCRIBED_ALLOWED = new Set([
  "PING",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "PSUBSCRIBE",
  "PUNSUBSCRIBE",
  "SSUBSCRIBE",
  "SUNSUBSCRIBE",
  "QUIT",
  "RESET",
]);

/** Commands Redis names as "command|subcommand" in errors. */
const CONTAINERS = new Set([
  "ACL",
  "CLIENT",
  "CLUSTER",
  "COMMAND",
  "CONFIG",
  "FUNCTION",
  "LATENCY",
  "MEMORY",
  "MODULE",
  "OBJECT",
  "PUBSUB",
  "SCRIPT",
  "SLOWLOG",
  "XGROUP",
  "XINFO",
]);

/** Redis's refusal of a command on a subscribed RESP2 connection, or undefined. */
export function subscribedRefusal(
  ctx: RespContext,
  args: readonly Uint8Array[],
): string | undefined {
  if (ctx.pubsub.count === 0 || ctx.writer.version !== 2) return undefined;
  const name = fromUtf8(args[0]).toUpperCase();
  if (SUBSCRIBED_ALLOWED.has(name)) return undefined;
  const sub = CONTAINERS.has(name) && args.length > 1 ? `|${fromUtf8(args[1])}` : "";
  const full = `${name}${sub}`.toLowerCase();
  return `ERR Can't execute '${full}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / ` +
    "RESET are allowed in this context";
}

/** A command's start, refused at its turn when the connection is subscribed (RESP2). */
export function unlessSubscribed(
  ctx: RespContext,
  args: readonly Uint8Array[],
  start: Start,
): Start {
  return () => {
    const refusal = subscribedRefusal(ctx, args);
    return refusal === undefined ? start() : (w) => w.error(refusal);
  };
}

/** A message as the subscriber sees it: ["message", channel, payload] or "pmessage". */
export function writeMessage(
  w: RespWriter,
  pattern: Uint8Array | undefined,
  channel: Uint8Array,
  message: Uint8Array,
): void {
  if (pattern === undefined) w.pushHeader(3).bulkString("message");
  else w.pushHeader(4).bulkString("pmessage").bulk(pattern);
  w.bulk(channel).bulk(message);
}

function subscribe(pattern: boolean) {
  return (ctx: RespContext, args: readonly Uint8Array[]): Reply => {
    const names = args.slice(1);
    let counts: number[];
    try {
      counts = ctx.pubsub.subscribe(names, pattern);
    } catch (err) {
      if (err instanceof TooManySubscriptionsError) throw new RespCommandError(err.message);
      throw err;
    }
    const kind = pattern ? "psubscribe" : "subscribe";
    return (w) => {
      names.forEach((name, i) => w.pushHeader(3).bulkString(kind).bulk(name).integer(counts[i]));
    };
  };
}

function unsubscribe(pattern: boolean) {
  return (ctx: RespContext, args: readonly Uint8Array[]): Reply => {
    const done = ctx.pubsub.unsubscribe(args.slice(1), pattern);
    const kind = pattern ? "punsubscribe" : "unsubscribe";
    return (w) => {
      // Unsubscribing from all with nothing subscribed still answers once, with a null name.
      if (done.length === 0) w.pushHeader(3).bulkString(kind).null().integer(ctx.pubsub.count);
      for (const d of done) w.pushHeader(3).bulkString(kind).bulk(d.name).integer(d.count);
    };
  };
}

/**
 * PUBLISH goes through the log (src/kv/redis/commands/pubsub.ts) and every
 * node delivers it; the count answered is this node's: its subscriptions that
 * match the channel when the outcome arrives.
 */
async function publish(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const run = { db: ctx.conn.db, commands: [args], multi: false, watches: [] };
  const reply = localCount(ctx, args, firstReply(await proposeRedis(ctx, run)));
  return (w) => writeReply(w, reply);
}

function localCount(ctx: RespContext, args: readonly Uint8Array[], r: RedisReply): RedisReply {
  const isPublish = fromUtf8(args[0]).toLowerCase() === "publish" && args.length === 3;
  return isPublish && r.k === "int" ? int(ctx.pubsub.hub.receivers(args[1])) : r;
}

/** EXEC's replies with each PUBLISH's count made this node's, as for a PUBLISH alone. */
export function publishCounts(
  ctx: RespContext,
  queued: readonly (readonly Uint8Array[])[],
  reply: RedisReply,
): RedisReply {
  if (reply.k !== "array" || reply.items.length !== queued.length) return reply;
  return { k: "array", items: reply.items.map((r, i) => localCount(ctx, queued[i], r)) };
}

/** PING: ["pong", message] on a subscribed RESP2 connection, else as ever. */
function ping(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  if (args.length > 2) throw new RedisError(wrongArity("ping"));
  return (w) => {
    if (ctx.pubsub.count === 0 || w.version !== 2) {
      if (args.length > 1) w.bulk(args[1]);
      else w.simple("PONG");
      return;
    }
    w.arrayHeader(2).bulkString("pong").bulk(args[1] ?? new Uint8Array(0));
  };
}

/**
 * The `notify-keyspace-events` parameter, for CONFIG GET/SET (`ctx.pubsub.hub` is the
 * node's hub). `check` gives redis-server 7.0's error line for a bad value, so that a CONFIG SET
 * of several parameters can check them all before setting any, as Redis does.
 */
export const NOTIFY_KEYSPACE_EVENTS = {
  name: "notify-keyspace-events",
  get: (hub: PubSubHub): string => hub.notifyConfig.get(),
  check(value: Uint8Array): string | undefined {
    try {
      parseNotifyFlags(fromUtf8(value));
      return undefined;
    } catch (err) {
      if (!(err instanceof NotifyFlagsError)) throw err;
      return `ERR CONFIG SET failed (possibly related to argument '${this.name}') - ${err.message}`;
    }
  },
  /** Throws RedisError with `check`'s line, changing nothing, when the value is bad. */
  set(hub: PubSubHub, value: Uint8Array): void {
    const refusal = this.check(value);
    if (refusal !== undefined) throw new RedisError(refusal);
    hub.notifyConfig.set(fromUtf8(value));
  },
};

export const PUBSUB_COMMANDS: Record<string, RespCommandSpec> = {
  SUBSCRIBE: { arity: -2, kind: "exclusive", run: subscribe(false) },
  PSUBSCRIBE: { arity: -2, kind: "exclusive", run: subscribe(true) },
  UNSUBSCRIBE: { arity: -1, kind: "exclusive", run: unsubscribe(false) },
  PUNSUBSCRIBE: { arity: -1, kind: "exclusive", run: unsubscribe(true) },
  PUBLISH: { arity: 3, kind: "write", run: publish },
  PUBSUB: PUBSUB_INFO,
  PING: { arity: -1, kind: "local", run: ping },
};
