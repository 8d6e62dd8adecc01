/**
 * Connection commands that touch no data: PING ECHO HELLO AUTH SELECT RESET
 * QUIT, plus CLIENT and INFO (their own files) — including what common
 * clients send on connect (HELLO 2/3, CLIENT SETNAME/SETINFO, SELECT 0).
 */
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext, Start } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { dbIndexArg } from "../../kv/redis/commands/keyspace.ts";
import { CLIENT } from "./resp_client.ts";
import { validClientText } from "./resp_client_list.ts";
import { info, REDIS_COMPAT_VERSION } from "./resp_info.ts";

export { REDIS_COMPAT_VERSION };

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

/**
 * TinyKV has no users yet: it answers as Redis does with no password set —
 * the default user takes any password, every other user is unknown.
 */
function checkUser(user: string): void {
  if (user !== "default") throw new RespCommandError(WRONGPASS);
}

function protocolVersion(arg: Uint8Array): 2 | 3 {
  const text = fromUtf8(arg);
  if (!/^-?[0-9]{1,18}$/.test(text)) {
    throw new RespCommandError("Protocol version is not an integer or out of range");
  }
  if (text !== "2" && text !== "3") {
    throw new RespCommandError("NOPROTO unsupported protocol version");
  }
  return text === "3" ? 3 : 2;
}

function hello(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  const version = args.length > 1 ? protocolVersion(args[1]) : ctx.writer.version;
  let name: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = fromUtf8(args[i]);
    const upper = opt.toUpperCase();
    if (upper === "AUTH" && i + 2 < args.length) {
      checkUser(fromUtf8(args[i + 1]));
      i += 2;
    } else if (upper === "SETNAME" && i + 1 < args.length) {
      name = fromUtf8(args[++i]);
      if (!validClientText(name)) {
        throw new RespCommandError(
          "Client names cannot contain spaces, newlines or special characters.",
        );
      }
    } else throw new RespCommandError(`Syntax error in HELLO option '${opt}'`);
  }
  if (name !== undefined) ctx.conn.name = name;
  const role = ctx.service.status().role === "leader" ? "master" : "replica";
  return (w) => {
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

function auth(_ctx: RespContext, args: readonly Uint8Array[]): Reply {
  if (args.length > 3) throw new RespCommandError("syntax error");
  if (args.length === 2) {
    throw new RespCommandError(
      "AUTH <password> called without any password configured for the default user. " +
        "Are you sure your configuration is correct?",
    );
  }
  checkUser(fromUtf8(args[1]));
  return (w) => w.ok();
}

/**
 * RESET: back to a fresh connection (no MULTI, no WATCH, database 0, no name,
 * RESP2). Taken when parsed, like DISCARD: what follows is not queued.
 */
function reset(ctx: RespContext): Start {
  ctx.conn.multi = undefined;
  ctx.conn.multiFailed = false;
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
  HELLO: { arity: -1, kind: "local", run: hello },
  AUTH: { arity: -2, kind: "local", run: auth },
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
