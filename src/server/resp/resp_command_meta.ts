/**
 * COMMAND's facts about the port's own commands, as Redis 7 reports them:
 * arity, flags, key positions, ACL categories, and the subcommands TinyKV
 * answers. The Redis table's commands carry their own (command.ts).
 */

export interface CommandMeta {
  readonly arity: number;
  readonly flags: readonly string[];
  readonly keys: readonly [number, number, number];
  readonly acl: readonly string[];
  /** Subcommands by lower-case name ("get" for CONFIG GET). */
  readonly subcommands?: Readonly<Record<string, CommandMeta>>;
}

const NO_KEYS: readonly [number, number, number] = [0, 0, 0];
const LS = ["loading", "stale"];
const CONN = ["@fast", "@connection"];
const ADMIN = ["@admin", "@slow", "@dangerous"];
const SLOW_CONN = ["@slow", "@connection"];
const NS_LS = ["noscript", ...LS];
const CONN_ANY = ["noscript", ...LS, "fast", "no_auth", "allow_busy"];
const TX = ["noscript", ...LS, "fast", "allow_busy"];

function m(
  arity: number,
  flags: string[],
  acl: string[],
  keys: readonly [number, number, number] = NO_KEYS,
): CommandMeta {
  return { arity, flags, keys, acl };
}

function withSubs(meta: CommandMeta, subs: Record<string, CommandMeta>): CommandMeta {
  return { ...meta, subcommands: subs };
}

const ADMIN_CONN = ["admin", ...NS_LS];
const ADMIN_CONN_ACL = [...ADMIN, "@connection"];

export const PORT_COMMAND_META: Readonly<Record<string, CommandMeta>> = {
  ping: m(-1, ["fast"], CONN),
  echo: m(2, [...LS, "fast"], CONN),
  hello: m(-1, CONN_ANY, CONN),
  auth: m(-2, CONN_ANY, CONN),
  quit: m(-1, CONN_ANY, CONN),
  reset: m(1, CONN_ANY, CONN),
  select: m(2, [...LS, "fast"], CONN),
  info: m(-1, LS, ["@slow", "@dangerous"]),
  time: m(1, [...LS, "fast"], ["@fast"]),
  lastsave: m(1, [...LS, "fast"], ["@admin", "@fast", "@dangerous"]),
  save: m(1, ["admin", "noscript", "no_async_loading", "no_multi"], ADMIN),
  bgsave: m(-1, ["admin", "noscript", "no_async_loading"], ADMIN),
  wait: m(3, ["noscript"], SLOW_CONN),
  debug: m(-2, ["admin", ...NS_LS], ADMIN),
  multi: m(1, TX, ["@fast", "@transaction"]),
  exec: m(1, [...NS_LS, "skip_slowlog"], ["@slow", "@transaction"]),
  discard: m(1, TX, ["@fast", "@transaction"]),
  watch: m(-2, TX, ["@fast", "@transaction"], [1, -1, 1]),
  unwatch: m(1, TX, ["@fast", "@transaction"]),
  scan: m(-2, ["readonly"], ["@keyspace", "@read", "@slow"]),
  keys: m(2, ["readonly"], ["@keyspace", "@read", "@slow", "@dangerous"]),
  client: withSubs(m(-2, [], ["@slow"]), {
    id: m(2, NS_LS, SLOW_CONN),
    info: m(2, NS_LS, SLOW_CONN),
    list: m(-2, ADMIN_CONN, ADMIN_CONN_ACL),
    kill: m(-3, ADMIN_CONN, ADMIN_CONN_ACL),
    setname: m(3, NS_LS, SLOW_CONN),
    getname: m(2, NS_LS, SLOW_CONN),
    setinfo: m(4, NS_LS, SLOW_CONN),
    "no-evict": m(3, ADMIN_CONN, ADMIN_CONN_ACL),
    "no-touch": m(3, NS_LS, ["@fast", "@connection"]),
    help: m(2, LS, SLOW_CONN),
  }),
  command: withSubs(m(-1, LS, SLOW_CONN), {
    count: m(2, LS, SLOW_CONN),
    docs: m(-2, LS, SLOW_CONN),
    info: m(-2, LS, SLOW_CONN),
    list: m(-2, LS, SLOW_CONN),
    help: m(2, LS, SLOW_CONN),
  }),
  config: withSubs(m(-2, [], ["@slow"]), {
    get: m(-3, ["admin", ...NS_LS], ADMIN),
    set: m(-4, ["admin", ...NS_LS], ADMIN),
    resetstat: m(2, ["admin", ...NS_LS], ADMIN),
    rewrite: m(2, ["admin", ...NS_LS], ADMIN),
    help: m(2, LS, ["@slow"]),
  }),
  object: withSubs(m(-2, [], ["@slow"]), { help: m(2, LS, ["@keyspace", "@slow"]) }),
};

/** ACL categories of a Redis-table command, from its flags and group. */
export function aclOf(flags: readonly string[], group: string): string[] {
  const out: string[] = [];
  const category = GROUP_CATEGORY[group];
  if (category !== undefined) out.push(category);
  if (flags.includes("write")) out.push("@write");
  if (flags.includes("readonly")) out.push("@read");
  out.push(flags.includes("fast") ? "@fast" : "@slow");
  return out;
}

const GROUP_CATEGORY: Record<string, string> = {
  generic: "@keyspace",
  string: "@string",
  hash: "@hash",
  list: "@list",
  set: "@set",
  "sorted-set": "@sortedset",
  pubsub: "@pubsub",
  connection: "@connection",
};
