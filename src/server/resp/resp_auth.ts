/**
 * Logging in on the RESP port (docs/resp.md, "Users and permissions"): AUTH, HELLO ... AUTH,
 * the NOAUTH gate in front of every other command, and ACL WHOAMI / USERS.
 *
 * A password check takes tens of milliseconds (PBKDF2), so it runs when the command is parsed
 * and the session admits nothing behind it until it is decided (`conn.authenticating`): a
 * pipelined `AUTH u p` + `GET k` runs the GET as `u`, as it would on Redis.
 */
import { type Principal, UNRESTRICTED } from "../../auth/principal.ts";
import { arityOk } from "../../kv/redis/command.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext, Start } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { PORT_COMMAND_META } from "./resp_command_meta.ts";
import { errorReply } from "./resp_dispatch.ts";
import { permissionRefusal } from "./resp_permissions.ts";
import { helpReply, runSubcommand, type Subcommand } from "./resp_subcommands.ts";

export const NOAUTH = "NOAUTH Authentication required.";
export const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const HELLO_NOAUTH = "NOAUTH HELLO must be called with the client already authenticated, " +
  "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and " +
  "select the RESP protocol version at the same time";
const BUSY = "ERR too many password checks are running on this node; send AUTH again shortly";
const FAILED = "ERR the password could not be checked on this node";

/** What a connection may send before it has authenticated (Redis 7's no-auth commands). */
const BEFORE_AUTH = new Set(["AUTH", "HELLO", "QUIT", "RESET"]);

/** The connection's rights now (the auth file may have been re-read); undefined: none yet. */
export function principalOf(ctx: RespContext): Principal | undefined {
  if (ctx.auth === undefined) return UNRESTRICTED;
  const user = ctx.conn.user;
  return user === undefined ? undefined : ctx.auth.principal(user);
}

/** A subcommand with the wrong argument count: Redis says that before NOAUTH and NOPERM. */
function wrongSubcommandArity(name: string, args: readonly Uint8Array[]): boolean {
  const subs = PORT_COMMAND_META[name.toLowerCase()]?.subcommands;
  if (subs === undefined || args.length < 2) return false;
  const given = fromUtf8(args[1]).toLowerCase();
  const sub = Object.hasOwn(subs, given) ? subs[given] : undefined;
  return sub !== undefined && !arityOk(sub.arity, args.length);
}

/**
 * Why the connection may not run this command now (NOAUTH, NOPERM), or undefined. `name` is
 * upper case; the command is known and its arity right.
 */
export function accessRefusal(
  ctx: RespContext,
  name: string,
  args: readonly Uint8Array[],
): string | undefined {
  if (ctx.auth === undefined || wrongSubcommandArity(name, args)) return undefined;
  const p = principalOf(ctx);
  if (p === undefined) return BEFORE_AUTH.has(name) ? undefined : NOAUTH;
  return permissionRefusal(p, name.toLowerCase(), args);
}

/**
 * Starts checking a password; what it returns answers the command at its turn: `then()` once
 * the connection is `user` (run as soon as that is decided, before any later command is even
 * admitted), or the error. A failed attempt leaves the connection as it was, as on Redis.
 */
function login(ctx: RespContext, user: string, password: string, then: () => Reply): Start {
  const auth = ctx.auth;
  if (auth === undefined) {
    // No users configured: Redis's default user without a password takes any password.
    return () => user === "default" ? then() : (w) => w.error(WRONGPASS);
  }
  const failed = (line: string): Reply => (w) => w.error(line);
  const outcome = auth.authenticate(user, password).then((r): Reply => {
    if (r === "busy") return failed(BUSY);
    if (typeof r === "string") return failed(WRONGPASS);
    ctx.conn.user = user;
    try {
      return then();
    } catch (err) {
      return errorReply(err);
    }
  }, () => failed(FAILED));
  ctx.conn.authenticating = outcome.then(() => {});
  return () => outcome;
}

function authCommand(ctx: RespContext, args: readonly Uint8Array[]): Start {
  if (args.length > 3) throw new RespCommandError("syntax error");
  if (args.length === 2 && ctx.auth === undefined) {
    throw new RespCommandError(
      "AUTH <password> called without any password configured for the default user. " +
        "Are you sure your configuration is correct?",
    );
  }
  const user = args.length === 3 ? fromUtf8(args[1]) : "default";
  return login(ctx, user, fromUtf8(args[args.length - 1]), () => (w) => w.ok());
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

interface HelloOptions {
  readonly version: 2 | 3 | undefined;
  readonly credentials: readonly [string, string] | undefined;
  readonly name: string | undefined;
}

function helloOptions(args: readonly Uint8Array[]): HelloOptions {
  const version = args.length > 1 ? protocolVersion(args[1]) : undefined;
  let credentials: [string, string] | undefined;
  let name: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = fromUtf8(args[i]);
    const upper = opt.toUpperCase();
    if (upper === "AUTH" && i + 2 < args.length) {
      credentials = [fromUtf8(args[i + 1]), fromUtf8(args[i + 2])];
      i += 2;
    } else if (upper === "SETNAME" && i + 1 < args.length) {
      name = fromUtf8(args[++i]);
    } else throw new RespCommandError(`Syntax error in HELLO option '${opt}'`);
  }
  return { version, credentials, name };
}

/**
 * HELLO [2|3 [AUTH user pass] [SETNAME name]], in Redis's order: the options' syntax, then
 * the password, then NOAUTH if still not logged in, then the name.
 */
function helloCommand(
  ctx: RespContext,
  args: readonly Uint8Array[],
  reply: (ctx: RespContext, version: 2 | 3 | undefined, name: string | undefined) => Reply,
): Start {
  const o = helloOptions(args);
  const answer = () => reply(ctx, o.version, o.name);
  if (o.credentials !== undefined) return login(ctx, o.credentials[0], o.credentials[1], answer);
  const refused = principalOf(ctx) === undefined;
  return () => refused ? (w) => w.error(HELLO_NOAUTH) : answer();
}

/** AUTH and HELLO, given HELLO's reply (resp_local_commands.ts). */
export function loginCommands(
  helloReply: (ctx: RespContext, version: 2 | 3 | undefined, name: string | undefined) => Reply,
): Record<string, RespCommandSpec> {
  return {
    AUTH: { arity: -2, kind: "local", parse: authCommand },
    HELLO: { arity: -1, kind: "local", parse: (ctx, args) => helloCommand(ctx, args, helloReply) },
  };
}

const ACL_HELP = [
  "USERS",
  "    The users of the node's auth file (the admin role only).",
  "WHOAMI",
  "    The user this connection is logged in as.",
];

const ACL_SUBCOMMANDS: Record<string, Subcommand> = {
  WHOAMI: {
    arity: 2,
    run: (ctx) => {
      const user = ctx.conn.user ?? "default";
      return (w) => w.bulkString(user);
    },
  },
  USERS: {
    arity: 2,
    run: (ctx) => {
      const users = ctx.auth === undefined ? ["default"] : ctx.auth.userNames();
      return (w) => {
        w.arrayHeader(users.length);
        for (const u of users) w.bulkString(u);
      };
    },
  },
  HELP: { arity: 2, run: () => helpReply("ACL", ACL_HELP) },
};

export const ACL: RespCommandSpec = {
  arity: -2,
  kind: "local",
  run: (ctx, args) => runSubcommand("acl", ACL_SUBCOMMANDS, ctx, args),
};
