/**
 * The key arguments of a Redis command, by the command table's key positions (and the commands
 * whose keys the table cannot say), with what each needs: read, write or both. Used for a user's
 * permissions (server/resp/resp_permissions.ts), for routing a command to the region holding its
 * keys (server/node/command_spans.ts), and for the region's check at apply that a command's keys
 * are in its range (region_command_keys.ts).
 */
import { fromUtf8 } from "../../util/bytes.ts";
import { REDIS_COMMANDS } from "./command_table.ts";

/** Write commands whose reply carries what the key held: they need read too. */
const READ_AND_WRITE = new Set([
  "incr",
  "decr",
  "incrby",
  "decrby",
  "incrbyfloat",
  "getset",
  "getdel",
  "getex",
  "hincrby",
  "hincrbyfloat",
  "spop",
  "move",
]);

export type Need = "read" | "write" | "both";

/** Key arguments and what each needs, by the command table's key positions. */
export function keysOf(name: string, args: readonly Uint8Array[]): [Uint8Array, Need][] {
  switch (name) {
    case "watch":
      return args.slice(1).map((k) => [k, "read"]);
    case "sscan":
    case "hscan":
      return [[args[1], "read"]];
    case "sintercard": {
      const n = Number(fromUtf8(args[1]));
      const count = Number.isSafeInteger(n) && n > 0 ? Math.min(n, args.length - 2) : 0;
      return args.slice(2, 2 + count).map((k) => [k, "read"]);
    }
    case "copy": // the source is only read, the destination only written
      return [[args[1], "read"], [args[2], "write"]];
    case "rename":
    case "renamenx":
    case "smove": // the source gives its value away: read and write
      return [[args[1], "both"], [args[2], "write"]];
    case "sinterstore":
    case "sunionstore":
    case "sdiffstore":
      return args.slice(1).map((k, i) => [k, i === 0 ? "write" : "read"]);
    case "set": { // SET ... GET returns the old value
      const get = args.slice(3).some((a) => fromUtf8(a).toUpperCase() === "GET");
      return [[args[1], get ? "both" : "write"]];
    }
  }
  const spec = REDIS_COMMANDS.get(name);
  if (spec === undefined) return [];
  const [first, lastSpec, step] = spec.keys;
  if (first === 0 || step <= 0) return [];
  const last = lastSpec < 0 ? args.length + lastSpec : Math.min(lastSpec, args.length - 1);
  const need: Need = spec.kind !== "write" ? "read" : READ_AND_WRITE.has(name) ? "both" : "write";
  const out: [Uint8Array, Need][] = [];
  for (let i = first; i <= last; i += step) out.push([args[i], need]);
  return out;
}
