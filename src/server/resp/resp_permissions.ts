/**
 * What a command needs of the connection's user (docs/resp.md, "Users and permissions"), and
 * Redis 7.0's NOPERM texts when the user lacks it:
 *
 * - node commands (NODE_COMMANDS) need the admin role;
 * - commands over the whole keyspace (KEYS, SCAN, RANDOMKEY, DBSIZE; FLUSHDB, FLUSHALL) need
 *   one permission covering every key: refused as a command, as Redis refuses @dangerous ones;
 * - every key argument needs read (read commands) or write (write commands), and a write
 *   command that also returns what it found (INCR, GETSET, SPOP, ...) needs read too, as
 *   Redis 7's key specifications say (their ACCESS flag);
 * - pub/sub channels are checked as keys: SUBSCRIBE reads, PUBLISH writes, PSUBSCRIBE reads
 *   every channel its pattern can match (the pattern's literal prefix).
 */
import type { Principal } from "../../auth/principal.ts";
import { keysOf, type Need } from "../../kv/redis/command_keys.ts";
import { fromUtf8, prefixEnd } from "../../util/bytes.ts";

const KEY_REFUSED =
  "NOPERM this user has no permissions to access one of the keys used as arguments";
const CHANNEL_REFUSED =
  "NOPERM this user has no permissions to access one of the channels used as arguments";

function commandRefused(name: string): string {
  return `NOPERM this user has no permissions to run the '${name}' command`;
}

/**
 * Commands about the node rather than the data: its configuration, its connections, its
 * files and its users. Lower case; a container's subcommand as "container|sub" (a container's
 * other subcommands are open to every user, its unknown ones answer their usual error).
 */
export const NODE_COMMANDS: ReadonlySet<string> = new Set([
  "acl|users",
  "bgsave",
  "client|kill",
  "client|list",
  "client|no-evict",
  "config|get",
  "config|resetstat",
  "config|rewrite",
  "config|set",
  "debug",
  "info",
  "lastsave",
  "role",
  "save",
]);

const CONTAINERS = new Set(["acl", "client", "config"]);
const READ_ALL = new Set(["keys", "scan", "randomkey", "dbsize"]);
const WRITE_ALL = new Set(["flushdb", "flushall"]);

function allowed(p: Principal, key: Uint8Array, need: Need): boolean {
  if (need !== "write" && !p.canRead(key)) return false;
  return need === "read" || p.canWrite(key);
}

/** The literal start of a glob pattern: every channel it matches begins with it. */
function literalPrefix(pattern: Uint8Array): Uint8Array {
  const special = pattern.findIndex((b) => b === 0x2a || b === 0x3f || b === 0x5b || b === 0x5c);
  return special < 0 ? pattern : pattern.subarray(0, special);
}

function channelRefusal(p: Principal, name: string, args: readonly Uint8Array[]): string | null {
  if (name === "publish") return p.canWrite(args[1]) ? null : CHANNEL_REFUSED;
  if (name === "subscribe") {
    return args.slice(1).every((c) => p.canRead(c)) ? null : CHANNEL_REFUSED;
  }
  return args.slice(1).every((pattern) => {
      const start = literalPrefix(pattern);
      return p.canReadRange(start, prefixEnd(start) ?? new Uint8Array(0));
    })
    ? null
    : CHANNEL_REFUSED;
}

/**
 * Why `p` may not run the command `args` (lower-case `name`), as Redis's NOPERM line; undefined
 * when it may. Arity is already checked: every position the table names is present.
 */
export function permissionRefusal(
  p: Principal,
  name: string,
  args: readonly Uint8Array[],
): string | undefined {
  if (p.admin) return undefined;
  const sub = CONTAINERS.has(name) ? `${name}|${fromUtf8(args[1]).toLowerCase()}` : name;
  if (NODE_COMMANDS.has(sub)) return commandRefused(sub);
  const everything = new Uint8Array(0);
  if (READ_ALL.has(name) && !p.canReadRange(everything, everything)) return commandRefused(name);
  if (WRITE_ALL.has(name) && !p.canWriteRange(everything, everything)) {
    return commandRefused(name);
  }
  if (name === "publish" || name === "subscribe" || name === "psubscribe") {
    return channelRefusal(p, name, args) ?? undefined;
  }
  return keysOf(name, args).every(([k, need]) => allowed(p, k, need)) ? undefined : KEY_REFUSED;
}
