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
  /** Flags of the key spec (RO/RW/OW/RM and access/update/insert/delete); default from flags. */
  readonly keyFlags?: readonly string[];
  /** Redis's command tips ("nondeterministic_output", "request_policy:all_shards", ...). */
  readonly tips?: readonly string[];
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

function tips(meta: CommandMeta, ...list: string[]): CommandMeta {
  return { ...meta, tips: list };
}

const ND = "nondeterministic_output";
const ND_ORDER = "nondeterministic_output_order";
const ALL_SHARDS = "request_policy:all_shards";
const ALL_OK = "response_policy:all_succeeded";
const MULTI_SHARD = "request_policy:multi_shard";
const SUM = "response_policy:agg_sum";

function withSubs(meta: CommandMeta, subs: Record<string, CommandMeta>): CommandMeta {
  return { ...meta, subcommands: subs };
}

const ADMIN_CONN = ["admin", ...NS_LS];
const ADMIN_CONN_ACL = [...ADMIN, "@connection"];

export const PORT_COMMAND_META: Readonly<Record<string, CommandMeta>> = {
  ping: tips(m(-1, ["fast"], CONN), ALL_SHARDS, ALL_OK),
  echo: m(2, [...LS, "fast"], CONN),
  hello: m(-1, CONN_ANY, CONN),
  auth: m(-2, CONN_ANY, CONN),
  quit: m(-1, CONN_ANY, CONN),
  reset: m(1, CONN_ANY, CONN),
  select: m(2, [...LS, "fast"], CONN),
  info: tips(m(-1, LS, ["@slow", "@dangerous"]), ND, ALL_SHARDS, "response_policy:special"),
  time: tips(m(1, [...LS, "fast"], ["@fast"]), ND),
  lastsave: tips(m(1, [...LS, "fast"], ["@admin", "@fast", "@dangerous"]), ND),
  save: m(1, ["admin", "noscript", "no_async_loading", "no_multi"], ADMIN),
  bgsave: m(-1, ["admin", "noscript", "no_async_loading"], ADMIN),
  wait: tips(m(3, ["noscript"], SLOW_CONN), ALL_SHARDS, "response_policy:agg_min"),
  debug: m(-2, ["admin", ...NS_LS], ADMIN),
  multi: m(1, TX, ["@fast", "@transaction"]),
  exec: m(1, [...NS_LS, "skip_slowlog"], ["@slow", "@transaction"]),
  discard: m(1, TX, ["@fast", "@transaction"]),
  watch: { ...m(-2, TX, ["@fast", "@transaction"], [1, -1, 1]), keyFlags: ["RO"] },
  unwatch: m(1, TX, ["@fast", "@transaction"]),
  scan: tips(m(-2, ["readonly"], ["@keyspace", "@read", "@slow"]), ND, "request_policy:special"),
  keys: tips(
    m(2, ["readonly"], ["@keyspace", "@read", "@slow", "@dangerous"]),
    ALL_SHARDS,
    ND_ORDER,
  ),
  client: withSubs(m(-2, [], ["@slow"]), {
    id: m(2, NS_LS, SLOW_CONN),
    info: tips(m(2, NS_LS, SLOW_CONN), ND),
    list: tips(m(-2, ADMIN_CONN, ADMIN_CONN_ACL), ND),
    kill: m(-3, ADMIN_CONN, ADMIN_CONN_ACL),
    setname: m(3, NS_LS, SLOW_CONN),
    getname: m(2, NS_LS, SLOW_CONN),
    setinfo: m(4, NS_LS, SLOW_CONN),
    "no-evict": m(3, ADMIN_CONN, ADMIN_CONN_ACL),
    "no-touch": m(3, NS_LS, ["@fast", "@connection"]),
    help: m(2, LS, SLOW_CONN),
  }),
  command: withSubs(tips(m(-1, LS, SLOW_CONN), ND_ORDER), {
    count: m(2, LS, SLOW_CONN),
    docs: tips(m(-2, LS, SLOW_CONN), ND_ORDER),
    info: tips(m(-2, LS, SLOW_CONN), ND_ORDER),
    list: tips(m(-2, LS, SLOW_CONN), ND_ORDER),
    help: m(2, LS, SLOW_CONN),
  }),
  config: withSubs(m(-2, [], ["@slow"]), {
    get: m(-3, ["admin", ...NS_LS], ADMIN),
    set: tips(m(-4, ["admin", ...NS_LS], ADMIN), "request_policy:all_nodes", ALL_OK),
    resetstat: m(2, ["admin", ...NS_LS], ADMIN),
    rewrite: m(2, ["admin", ...NS_LS], ADMIN),
    help: m(2, LS, ["@slow"]),
  }),
  object: withSubs(m(-2, [], ["@slow"]), { help: m(2, LS, ["@keyspace", "@slow"]) }),
  acl: withSubs(m(-2, [], ["@slow"]), {
    whoami: m(2, NS_LS, ["@slow"]),
    users: m(2, ADMIN_CONN, ADMIN),
    help: m(2, LS, ["@slow"]),
  }),
};

/** Redis's order of ACL categories (its category bits). */
const ACL_ORDER = [
  "@keyspace",
  "@read",
  "@write",
  "@set",
  "@sortedset",
  "@list",
  "@hash",
  "@string",
  "@bitmap",
  "@hyperloglog",
  "@geo",
  "@stream",
  "@pubsub",
  "@admin",
  "@fast",
  "@slow",
  "@blocking",
  "@dangerous",
  "@connection",
  "@transaction",
  "@scripting",
]; // deno-fmt-ignore

const RW_ACCESS_UPDATE = ["RW", "access", "update"];

/** What Redis gives commands of the Redis table beyond what flags and group say. */
const TABLE_EXTRAS: Record<string, { acl?: string[]; tips?: string[]; keyFlags?: string[] }> = {
  exists: { tips: [MULTI_SHARD, SUM], keyFlags: ["RO"] },
  type: { keyFlags: ["RO"] },
  strlen: { keyFlags: ["RO"] },
  incr: { keyFlags: RW_ACCESS_UPDATE },
  decr: { keyFlags: RW_ACCESS_UPDATE },
  incrby: { keyFlags: RW_ACCESS_UPDATE },
  decrby: { keyFlags: RW_ACCESS_UPDATE },
  getset: { keyFlags: RW_ACCESS_UPDATE },
  append: { keyFlags: ["RW", "insert"] },
  set: { keyFlags: ["RW", "access", "update", "variable_flags"] },
  setnx: { keyFlags: ["OW", "insert"] },
  setex: { keyFlags: ["OW", "update"] },
  psetex: { keyFlags: ["OW", "update"] },
  dbsize: { acl: ["@keyspace"], tips: [ALL_SHARDS, SUM] },
  flushdb: { acl: ["@keyspace", "@dangerous"], tips: [ALL_SHARDS, ALL_OK] },
  flushall: { acl: ["@keyspace", "@dangerous"], tips: [ALL_SHARDS, ALL_OK] },
  del: { tips: [MULTI_SHARD, SUM], keyFlags: ["RM", "delete"] },
  unlink: { tips: [MULTI_SHARD, SUM], keyFlags: ["RM", "delete"] },
  mget: { tips: [MULTI_SHARD] },
  mset: { tips: [MULTI_SHARD, ALL_OK], keyFlags: ["OW", "update"] },
  msetnx: { tips: [MULTI_SHARD, "response_policy:agg_min"], keyFlags: ["OW", "insert"] },
};

/** ACL categories and tips of a Redis-table command, from its flags and group. */
export function tableMeta(
  name: string,
  flags: readonly string[],
  group: string,
): { acl: string[]; tips: string[]; keyFlags?: string[] } {
  const extra = Object.hasOwn(TABLE_EXTRAS, name) ? TABLE_EXTRAS[name] : {};
  const acl = new Set(extra.acl ?? []);
  const category = GROUP_CATEGORY[group];
  if (category !== undefined) acl.add(category);
  if (flags.includes("write")) acl.add("@write");
  if (flags.includes("readonly")) acl.add("@read");
  acl.add(flags.includes("fast") ? "@fast" : "@slow");
  const sorted = [...acl].sort((a, b) => ACL_ORDER.indexOf(a) - ACL_ORDER.indexOf(b));
  return { acl: sorted, tips: extra.tips ?? [], keyFlags: extra.keyFlags };
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
