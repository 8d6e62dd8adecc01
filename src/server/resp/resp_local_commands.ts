/**
 * Connection commands that touch no data: PING ECHO HELLO SELECT RESET
 * QUIT, plus CLIENT, INFO, AUTH and ACL (their own files) — including what common
 * clients send on connect (HELLO 2/3, CLIENT SETNAME/SETINFO, SELECT 0).
 */
import type { Reply, RespCommandSpec, RespContext, Start } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { dbIndexArg } from "../../kv/redis/commands/keyspace.ts";
import { CLIENT } from "./resp_client.ts";
import { validClientText } from "./resp_client_list.ts";
import { info, REDIS_COMPAT_VERSION } from "./resp_info.ts";
import { ACL, loginCommands } from "./resp_auth.ts";

export { REDIS_COMPAT_VERSION };

/** HELLO's map (after resp_auth.ts has checked the options and any password). */
function helloReply(
  ctx: RespContext,
  asked: 2 | 3 | undefined,
  name: string | undefined,
): Reply {
  if (name !== undefined) {
    if (!validClientText(name)) {
      throw new RespCommandError(
        "Client names cannot contain spaces, newlines or special characters.",
      );
    }
    ctx.conn.name = name;
  }
  const role = ctx.service.status().role === "leader" ? "master" : "replica";
  return (w) => {
    const version = asked ?? w.version;
    w.version = version;
    w.mapHeader(7);
    w.bulkString("server").bulkString("redis");
    w.bulkString("version").bulkString(REDIS_COMPAT_VERSION);
    w.bulkString("proto").integer(version);
    w.bulkString("id").integer(ctx.conn.id);
    w.bulkString("mode").bulkString("standalone");
    w.bulkString("role").bulkString(role);
    w.bulkString("modules").arrayHeader(0);
  };
}

/**
 * RESET: back to a fresh connection (no MULTI, no WATCH, database 0, no name,
 * RESP2). Taken when parsed, like DISCARD: what follows is not queued.
 */
function reset(ctx: RespContext): Start {
  ctx.conn.multi = undefined;
  ctx.conn.multiFailed = false;
  // Back to the default user: with users configured, that means logged out (Redis 7).
  if (ctx.auth !== undefined) ctx.conn.user = undefined;
  return () => {
    const c = ctx.conn;
    c.watches.clear();
    c.db = 0;
    c.name = "";
    c.noEvict = false;
    c.noTouch = false;
    ctx.pubsub.clear(); // out of subscribed mode too
    return (w) => {
      w.version = 2;
      w.simple("RESET");
    };
  };
}

export const LOCAL_COMMANDS: Record<string, RespCommandSpec> = {
  PING: {
    arity: -1,
    kind: "local",
    run: (_ctx, args) => {
      if (args.length > 2) {
        throw new RespCommandError("wrong number of arguments for 'ping' command");
      }
      return (w) => args.length > 1 ? w.bulk(args[1]) : w.simple("PONG");
    },
  },
  ECHO: { arity: 2, kind: "local", run: (_ctx, args) => (w) => w.bulk(args[1]) },
  ...loginCommands(helloReply),
  ACL,
  CLIENT,
  SELECT: {
    arity: 2,
    kind: "local",
    run: (ctx, args) => {
      ctx.conn.db = dbIndexArg(args[1]);
      return (w) => w.ok();
    },
  },
  INFO: { arity: -1, kind: "local", run: info },
  RESET: { arity: 1, kind: "local", parse: reset },
  QUIT: {
    arity: -1,
    kind: "local",
    // Quits when its reply is written: replies of earlier commands still in flight go first.
    run: (ctx) => (w) => {
      ctx.conn.quit = true;
      w.ok();
    },
  },
};
