/**
 * CLIENT subcommands: ID, INFO, LIST, KILL, SETNAME, GETNAME, SETINFO,
 * NO-EVICT, NO-TOUCH, HELP — Redis 7.2's replies and error texts.
 */
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import {
  CLIENT_TYPES,
  clientIdArg,
  clientLine,
  unknownClientType,
  validClientText,
} from "./resp_client_list.ts";
import { clientKill } from "./resp_client_kill.ts";
import { helpReply, runSubcommand, type Subcommand } from "./resp_subcommands.ts";

const upper = (b: Uint8Array) => fromUtf8(b).toUpperCase();

/** CLIENT LIST [TYPE type] [ID id ...]: only normal clients exist on TinyKV's port. */
function clientList(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  let ids: Set<number> | undefined;
  let none = false;
  for (let i = 2; i < args.length; i++) {
    const opt = upper(args[i]);
    if (opt === "TYPE" && i + 1 < args.length) {
      const type = upper(args[++i]);
      if (!CLIENT_TYPES.has(type)) throw unknownClientType(args[i]);
      none = type !== "NORMAL";
    } else if (opt === "ID" && i + 1 < args.length) {
      ids = new Set();
      while (i + 1 < args.length) ids.add(clientIdArg(args[++i], "Invalid client ID", 0));
    } else {
      throw new RespCommandError("syntax error");
    }
  }
  const lines = none ? [] : [...ctx.node.clients.values()]
    .filter((c) => ids === undefined || ids.has(c.state.id))
    .map((c) => clientLine(ctx, c));
  const text = lines.join("");
  return (w) => w.verbatim(text);
}

function setName(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  const name = fromUtf8(args[2]);
  if (!validClientText(name)) {
    throw new RespCommandError(
      "Client names cannot contain spaces, newlines or special characters.",
    );
  }
  ctx.conn.name = name;
  return (w) => w.ok();
}

function setInfo(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  const attr = fromUtf8(args[2]);
  const which = attr.toLowerCase();
  if (which !== "lib-name" && which !== "lib-ver") {
    throw new RespCommandError(`Unrecognized option '${attr}'`);
  }
  const value = fromUtf8(args[3]);
  if (!validClientText(value)) {
    throw new RespCommandError(`${attr} cannot contain spaces, newlines or special characters.`);
  }
  if (which === "lib-name") ctx.conn.libName = value;
  else ctx.conn.libVer = value;
  return (w) => w.ok();
}

function onOff(set: (ctx: RespContext, on: boolean) => void): Subcommand {
  return {
    arity: 3,
    run: (ctx, args) => {
      const v = upper(args[2]);
      if (v !== "ON" && v !== "OFF") throw new RespCommandError("syntax error");
      set(ctx, v === "ON");
      return (w) => w.ok();
    },
  };
}

const HELP = [
  "ID",
  "    This connection's id.",
  "INFO",
  "    This connection, as a CLIENT LIST line.",
  "LIST [TYPE <type>] [ID <id> [<id> ...]]",
  "    The open connections.",
  "KILL <ip:port> | <filter> <value> [<filter> <value> ...]",
  "    Close connections (filters: ID, ADDR, LADDR, TYPE, USER, SKIPME, MAXAGE).",
  "SETNAME <name> | GETNAME",
  "    Name this connection, or read its name.",
  "SETINFO <LIB-NAME|LIB-VER> <value>",
  "    Record the client library's name or version.",
  "NO-EVICT (ON|OFF) | NO-TOUCH (ON|OFF)",
  "    Accepted and remembered: TinyKV never evicts and keeps no access times.",
];

const CLIENT_SUBCOMMANDS: Record<string, Subcommand> = {
  ID: { arity: 2, run: (ctx) => (w) => w.integer(ctx.conn.id) },
  INFO: {
    arity: 2,
    run: (ctx) => {
      const self = ctx.node.clients.get(ctx.conn.id);
      const text = self === undefined ? "" : clientLine(ctx, self);
      return (w) => w.verbatim(text);
    },
  },
  LIST: { arity: -2, run: clientList },
  KILL: { arity: -3, run: clientKill },
  SETNAME: { arity: 3, run: setName },
  GETNAME: {
    arity: 2,
    run: (ctx) => {
      const name = ctx.conn.name;
      return (w) => name === "" ? w.null() : w.bulkString(name);
    },
  },
  SETINFO: { arity: 4, run: setInfo },
  "NO-EVICT": onOff((ctx, on) => ctx.conn.noEvict = on),
  "NO-TOUCH": onOff((ctx, on) => ctx.conn.noTouch = on),
  // ON, OFF and SKIP are taken by the session when parsed (resp_reply_mode.ts).
  REPLY: {
    arity: 3,
    run: () => {
      throw new RespCommandError("syntax error");
    },
  },
  HELP: { arity: 2, run: () => helpReply("CLIENT", HELP) },
};

export const CLIENT: RespCommandSpec = {
  arity: -2,
  kind: "local",
  run: (ctx, args) => runSubcommand("client", CLIENT_SUBCOMMANDS, ctx, args),
};
