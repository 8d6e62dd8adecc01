/**
 * One CLIENT LIST / CLIENT INFO line in Redis 7.2's field order. TinyKV does
 * not account buffers per connection, so the memory and buffer fields are 0,
 * and a socket's descriptor is not visible to it: fd is -1.
 */
import { fromUtf8 } from "../../util/bytes.ts";
import type { RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import type { RespClient } from "./resp_node.ts";

function flags(c: RespClient): string {
  let f = "";
  if (c.state.multi !== undefined) f += "x";
  if (c.state.noEvict) f += "e";
  if (c.state.noTouch) f += "T";
  return f === "" ? "N" : f;
}

export function clientLine(ctx: RespContext, c: RespClient): string {
  const now = ctx.node.clock.nowMs();
  const s = c.state;
  const seconds = (ms: number) => Math.max(0, Math.floor((now - ms) / 1000));
  const fields: [string, string | number][] = [
    ["id", s.id],
    ["addr", s.addr],
    ["laddr", `${ctx.node.hostname}:${ctx.node.port()}`],
    ["fd", -1],
    ["name", s.name],
    ["age", seconds(s.connectedMs)],
    ["idle", seconds(s.lastCommandMs)],
    ["flags", flags(c)],
    ["db", s.db],
    ["sub", 0],
    ["psub", 0],
    ["ssub", 0],
    ["multi", s.multi?.length ?? -1],
    ["qbuf", 0],
    ["qbuf-free", 0],
    ["argv-mem", 0],
    ["multi-mem", 0],
    ["rbs", 0],
    ["rbp", 0],
    ["obl", 0],
    ["oll", 0],
    ["omem", 0],
    ["tot-mem", 0],
    ["events", "r"],
    ["cmd", s.lastCommand],
    ["user", s.user ?? "default"],
    ["redir", -1],
    ["resp", c.writer.version],
    ["lib-name", s.libName],
    ["lib-ver", s.libVer],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(" ") + "\n";
}

/** Redis's rule for names and library info: printable ASCII, no spaces. */
export function validClientText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export const CLIENT_TYPES = new Set(["NORMAL", "MASTER", "REPLICA", "SLAVE", "PUBSUB"]);

export function unknownClientType(given: Uint8Array): RespCommandError {
  return new RespCommandError(`Unknown client type '${fromUtf8(given)}'`);
}

/** A client id argument: a decimal integer (no sign, no leading zeros) of at least `min`. */
export function clientIdArg(arg: Uint8Array, error: string, min: number): number {
  const text = fromUtf8(arg);
  const n = /^(0|[1-9][0-9]{0,14})$/.test(text) ? Number(text) : -1;
  if (n < min) throw new RespCommandError(error);
  return n;
}
