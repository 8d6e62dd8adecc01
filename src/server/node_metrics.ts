/**
 * The node's Prometheus metrics (GET /metrics): Raft state and progress,
 * storage engine shape and counters, ports' connections. Gauges are read
 * from live state at scrape time; nothing here is on a request's hot path.
 */
import { MetricsRegistry } from "./metrics.ts";
import type { NodeService } from "./node_service.ts";

export interface MetricSources {
  /** Read at each scrape: its engine can be replaced by a snapshot. */
  readonly node: NodeService;
  readonly connections: () => { protobuf: number; resp: number };
}

const ROLES = ["leader", "follower", "candidate", "learner"] as const;

export function createNodeMetrics(src: MetricSources): MetricsRegistry {
  const r = new MetricsRegistry();
  const g = (name: string, help: string, labels: string[] = []) => r.gauge(name, help, labels);
  const term = g("tinykv_raft_term", "Current Raft term.");
  const role = g("tinykv_raft_role", "1 for the node's current role.", ["role"]);
  const commit = g("tinykv_raft_commit_index", "Highest log index known committed.");
  const applied = g("tinykv_raft_applied_index", "Highest log index applied to the state machine.");
  const last = g("tinykv_raft_last_index", "Highest log index stored.");
  const match = g("tinykv_raft_follower_match_index", "Leader: match index per member.", [
    "member",
  ]);
  const lag = g("tinykv_raft_follower_lag_entries", "Leader: entries a member is behind.", [
    "member",
  ]);
  const dropped = g("tinykv_raft_dropped_messages", "Peer messages dropped (full inbox or queue).");
  const pending = g("tinykv_pending_proposals", "Writes waiting to be applied.");
  const files = g("tinykv_storage_files", "Tables per level.", ["level"]);
  const bytes = g("tinykv_storage_bytes", "Table bytes per level.", ["level"]);
  const counters = g("tinykv_storage_events_total", "Engine event counters.", ["event"]);
  const cache = g("tinykv_storage_block_cache", "Block cache bytes, hits and misses.", ["stat"]);
  const conns = g("tinykv_connections", "Open client connections per port.", ["port"]);
  r.onCollect(() => {
    const s = src.node.status();
    term.set(s.term);
    for (const name of ROLES) role.set(s.role === name ? 1 : 0, { role: name });
    commit.set(s.commitIndex);
    applied.set(s.appliedIndex);
    last.set(typeof s.lastIndex === "number" ? s.lastIndex : 0);
    match.clear();
    lag.clear();
    for (const m of s.members) {
      if (m.matchIndex === undefined) continue;
      match.set(m.matchIndex, { member: String(m.id) });
      lag.set(Math.max(0, s.commitIndex - m.matchIndex), { member: String(m.id) });
    }
    dropped.set(src.node.node.droppedMessages + src.node.transport.droppedMessages());
    pending.set(src.node.proposals.size);
    const st = src.node.db.stats();
    st.levels.forEach((l, i) => {
      files.set(l.files, { level: String(i) });
      bytes.set(l.bytes, { level: String(i) });
    });
    const events = {
      flushes: st.flushes,
      compactions: st.compactions,
      write_slowdowns: st.writeSlowdowns,
      write_stops: st.writeStops,
      wal_syncs: st.walSyncs,
    };
    for (const [event, n] of Object.entries(events)) counters.set(n, { event });
    cache.set(st.blockCache.bytes, { stat: "bytes" });
    cache.set(st.blockCache.hits, { stat: "hits" });
    cache.set(st.blockCache.misses, { stat: "misses" });
    const c = src.connections();
    conns.set(c.protobuf, { port: "protobuf" });
    conns.set(c.resp, { port: "resp" });
  });
  return r;
}
