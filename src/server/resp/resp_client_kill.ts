/**
 * CLIENT KILL: the old form `CLIENT KILL ip:port` (OK, may close this very
 * connection) and the filter form (the number closed; SKIPME yes by default).
 * This connection closes after its reply, as in Redis; others close at once.
 */
import { fromUtf8 } from "../../util/bytes.ts";
import { intArg } from "../../kv/redis/command.ts";
import type { Reply, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import type { RespClient } from "./resp_node.ts";
import { CLIENT_TYPES, clientIdArg, unknownClientType } from "./resp_client_list.ts";

type Filter = (c: RespClient) => boolean;

function filters(ctx: RespContext, args: readonly Uint8Array[]) {
  if ((args.length - 2) % 2 !== 0) throw new RespCommandError("syntax error");
  const all: Filter[] = [];
  let skipMe = true;
  const laddr = `${ctx.node.hostname}:${ctx.node.port()}`;
  for (let i = 2; i < args.length; i += 2) {
    const opt = fromUtf8(args[i]).toUpperCase();
    const value = args[i + 1];
    const text = fromUtf8(value);
    if (opt === "ID") {
      const id = clientIdArg(value, "client-id should be greater than 0", 1);
      all.push((c) => c.state.id === id);
    } else if (opt === "ADDR") all.push((c) => c.state.addr === text);
    else if (opt === "LADDR") all.push(() => laddr === text);
    else if (opt === "TYPE") {
      const type = text.toUpperCase();
      if (!CLIENT_TYPES.has(type)) throw unknownClientType(value);
      all.push(() => type === "NORMAL");
    } else if (opt === "USER") {
      const known = ctx.auth === undefined ? text === "default" : ctx.auth.hasUser(text);
      if (!known) throw new RespCommandError(`No such user '${text}'`);
      all.push((c) => (c.state.user ?? "default") === text);
    } else if (opt === "SKIPME") {
      const yes = text.toLowerCase();
      if (yes !== "yes" && yes !== "no") throw new RespCommandError("syntax error");
      skipMe = yes === "yes";
    } else if (opt === "MAXAGE") {
      const maxAgeMs = intArg(value) * 1000;
      const now = ctx.node.clock.nowMs();
      all.push((c) => now - c.state.connectedMs >= maxAgeMs);
    } else throw new RespCommandError("syntax error");
  }
  return { all, skipMe };
}

function kill(ctx: RespContext, c: RespClient): void {
  if (c.state.id === ctx.conn.id) ctx.conn.quit = true;
  else c.kill();
}

export function clientKill(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  if (args.length === 3) {
    const addr = fromUtf8(args[2]);
    const target = [...ctx.node.clients.values()].find((c) => c.state.addr === addr);
    if (target === undefined) throw new RespCommandError("No such client");
    kill(ctx, target);
    return (w) => w.ok();
  }
  const { all, skipMe } = filters(ctx, args);
  const targets = [...ctx.node.clients.values()].filter((c) =>
    !(skipMe && c.state.id === ctx.conn.id) && all.every((f) => f(c))
  );
  for (const c of targets) kill(ctx, c);
  return (w) => w.integer(targets.length);
}
