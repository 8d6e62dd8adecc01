/**
 * INFO [section ...]: Redis's text format ("# Section" then "field:value"
 * lines, CRLF, a blank line between sections, sections in Redis's order),
 * with TinyKV's Raft state in the replication section. Unknown sections are
 * left out, as Redis does; `all` and `everything` add the empty statistics
 * sections. Memory and CPU are the process's own (resp_info_usage.ts).
 */
import { REDIS_DATABASES } from "../../limits.ts";
import { VERSION } from "../../version.ts";
import type { NodeStatus } from "../node/status_types.ts";
import type { Reply, RespContext } from "./resp_command.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import { replicationLines } from "./resp_info_replication.ts";
import { cpuLines, memoryLines } from "./resp_info_usage.ts";
import { holdsPart } from "./resp_redis_bridge.ts";
import { countsAcross, readsKeysAcross } from "./resp_keys_across.ts";

/** The Redis version TinyKV answers as; its command set is a subset of this one's. */
export const REDIS_COMPAT_VERSION = "7.2.0";

const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
];
const ALL_SECTIONS = [
  ...DEFAULT_SECTIONS.slice(0, 8),
  "commandstats",
  ...DEFAULT_SECTIONS.slice(8),
];

const TITLES: Record<string, string> = {
  cpu: "CPU",
  commandstats: "Commandstats",
  errorstats: "Errorstats",
};

type Lines = (ctx: RespContext, s: NodeStatus, keys: readonly number[]) => string[];

function serverLines(ctx: RespContext, s: NodeStatus): string[] {
  const uptimeS = Math.floor((ctx.node.clock.nowMs() - ctx.node.startedMs) / 1000);
  return [
    `redis_version:${REDIS_COMPAT_VERSION}`,
    "redis_mode:standalone",
    `tcp_port:${ctx.node.port()}`,
    `server_time_usec:${Math.floor(ctx.node.clock.wallMs()) * 1000}`,
    `uptime_in_seconds:${uptimeS}`,
    `uptime_in_days:${Math.floor(uptimeS / 86_400)}`,
    "executable:tinykv",
    "config_file:",
    `tinykv_version:${VERSION}`,
    `tinykv_node_id:${s.id}`,
  ];
}

const SECTIONS: Record<string, Lines> = {
  server: serverLines,
  clients: (ctx) => [
    `connected_clients:${ctx.node.clients.size}`,
    "cluster_connections:0",
    `maxclients:${ctx.node.connectionsMax}`,
    "blocked_clients:0",
    `pubsub_clients:0`,
  ],
  memory: memoryLines,
  // Every write is durable before it is acknowledged: there is never unsaved data.
  persistence: (ctx) => [
    "loading:0",
    "async_loading:0",
    "rdb_changes_since_last_save:0",
    "rdb_bgsave_in_progress:0",
    `rdb_last_save_time:${Math.floor(ctx.node.clock.wallMs() / 1000)}`,
    "rdb_last_bgsave_status:ok",
    "aof_enabled:1",
    "aof_rewrite_in_progress:0",
    "aof_last_write_status:ok",
  ],
  stats: (ctx) => [
    `total_connections_received:${ctx.node.stats.connectionsReceived}`,
    `total_commands_processed:${ctx.node.stats.commandsProcessed}`,
    `rejected_connections:${ctx.node.stats.rejectedConnections}`,
    "expired_keys:0",
    "evicted_keys:0",
    "pubsub_channels:0",
    "pubsub_patterns:0",
  ],
  replication: (ctx, s) => replicationLines(ctx, s),
  cpu: cpuLines,
  modules: () => [],
  commandstats: () => [],
  errorstats: () => [],
  cluster: () => ["cluster_enabled:0"],
  keyspace: (_ctx, _s, keys) =>
    keys.flatMap((n, db) => n > 0 ? [`db${db}:keys=${n},expires=0,avg_ttl=0`] : []),
};

function chosen(args: readonly Uint8Array[]): Set<string> {
  if (args.length === 1) return new Set(DEFAULT_SECTIONS);
  const out = new Set<string>();
  for (const arg of args.slice(1)) {
    const name = fromUtf8(arg).toLowerCase();
    if (name === "all" || name === "everything") ALL_SECTIONS.forEach((n) => out.add(n));
    else if (name === "default") DEFAULT_SECTIONS.forEach((n) => out.add(n));
    else if (Object.hasOwn(SECTIONS, name)) out.add(name);
  }
  return out;
}

/**
 * Keys per database, read on this node without a read barrier (INFO must answer alone); on a node
 * holding some regions, each region's counts added, the others' read from their replicas
 * (resp_keys_across.ts), serializable too.
 */
function keyCounts(ctx: RespContext): Promise<number[]> {
  if (readsKeysAcross(ctx) && holdsPart(ctx)) return countsAcross(ctx, "serializable");
  return ctx.service.readState(
    "serializable",
    (kv) => Array.from({ length: REDIS_DATABASES }, (_, db) => kv.redisKeyCount(db)),
  );
}

export async function info(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const wanted = chosen(args);
  const keys = wanted.has("keyspace") ? await keyCounts(ctx) : [];
  const status = ctx.service.status();
  const parts: string[] = [];
  for (const name of ALL_SECTIONS) {
    if (!wanted.has(name)) continue;
    const title = TITLES[name] ?? name[0].toUpperCase() + name.slice(1);
    const lines = SECTIONS[name](ctx, status, keys);
    parts.push([`# ${title}`, ...lines].map((l) => `${l}\r\n`).join(""));
  }
  const text = parts.join("\r\n");
  return (w) => w.verbatim(text);
}
