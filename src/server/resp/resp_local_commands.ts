/**
 * Connection and server commands that touch no data: PING ECHO HELLO CLIENT
 * SELECT COMMAND INFO QUIT — including what common clients send on connect
 * (HELLO 2/3, CLIENT SETNAME/SETINFO, SELECT 0, COMMAND COUNT/DOCS, INFO).
 */
import { fromUtf8 } from "../../util/bytes.ts";
import { VERSION } from "../../version.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { dbIndexArg } from "../../kv/redis/commands/keyspace.ts";

/** The Redis version TinyKV answers as; its command set is a subset of this one's. */
export const REDIS_COMPAT_VERSION = "7.2.0";

const upper = (b: Uint8Array) => fromUtf8(b).toUpperCase();

function hello(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  let version = ctx.writer.version;
  if (args.length > 1) {
    const v = fromUtf8(args[1]);
    if (v !== "2" && v !== "3") throw new RespCommandError("NOPROTO unsupported protocol version");
    version = v === "3" ? 3 : 2;
  }
  for (let i = 2; i < args.length; i++) {
    const opt = upper(args[i]);
    if (opt === "SETNAME" && args[i + 1] !== undefined) ctx.conn.name = fromUtf8(args[++i]);
    // TinyKV has no users: AUTH is accepted and ignored.
    else if (opt === "AUTH" && args[i + 2] !== undefined) i += 2;
    else throw new RespCommandError("syntax error in HELLO");
  }
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

function client(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  const sub = upper(args[1]);
  if (sub === "SETNAME" && args.length === 3) {
    ctx.conn.name = fromUtf8(args[2]);
    return (w) => w.ok();
  }
  if (sub === "GETNAME") return (w) => ctx.conn.name ? w.bulkString(ctx.conn.name) : w.null();
  if (sub === "ID") return (w) => w.integer(ctx.conn.id);
  if (sub === "SETINFO" && args.length === 4) return (w) => w.ok();
  throw new RespCommandError(`unsupported CLIENT subcommand '${fromUtf8(args[1])}'`);
}

function info(ctx: RespContext): Reply {
  const s = ctx.service.status();
  const text = [
    "# Server",
    `redis_version:${REDIS_COMPAT_VERSION}`,
    `tinykv_version:${VERSION}`,
    "redis_mode:standalone",
    `tinykv_node_id:${s.id}`,
    "",
    "# Replication",
    `role:${s.role === "leader" ? "master" : "slave"}`,
    `tinykv_role:${s.role}`,
    `tinykv_term:${s.term}`,
    `tinykv_leader:${s.leader ?? ""}`,
    `tinykv_commit_index:${s.commitIndex}`,
    `tinykv_applied_index:${s.appliedIndex}`,
    "",
    "# Persistence",
    "loading:0",
    "",
  ].join("\r\n");
  return (w) => w.bulkString(text);
}

export const LOCAL_COMMANDS: Record<string, RespCommandSpec> = {
  PING: {
    arity: -1,
    kind: "local",
    run: (_ctx, args) => (w) => args.length > 1 ? w.bulk(args[1]) : w.simple("PONG"),
  },
  ECHO: { arity: 2, kind: "local", run: (_ctx, args) => (w) => w.bulk(args[1]) },
  HELLO: { arity: -1, kind: "local", run: hello },
  CLIENT: { arity: -2, kind: "local", run: client },
  SELECT: {
    arity: 2,
    kind: "local",
    run: (ctx, args) => {
      ctx.conn.db = dbIndexArg(args[1]);
      return (w) => w.ok();
    },
  },
  INFO: { arity: -1, kind: "local", run: info },
  QUIT: {
    arity: 1,
    kind: "local",
    // Quits when its reply is written: replies of earlier commands still in flight go first.
    run: (ctx) => (w) => {
      ctx.conn.quit = true;
      w.ok();
    },
  },
};
