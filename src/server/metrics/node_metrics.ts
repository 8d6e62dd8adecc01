/**
 * The node's Prometheus metrics (GET /metrics): Raft state and progress,
 * storage engine shape and counters, ports' connections. Everything here is
 * read from live state and running totals at scrape time; nothing is on a
 * request's hot path. Every metric is listed in docs/operations.md.
 */
import { VERSION } from "../../version.ts";
import { MetricsRegistry } from "./registry.ts";
import type { NodeService } from "../node/node_service.ts";

export interface MetricSources {
  /** Read at each scrape: its engine can be replaced by a snapshot. */
  readonly node: NodeService;
  readonly connections: () => { protobuf: number; resp: number };
  /** The node's watches (the hub's live count and running totals). */
  readonly watch?: {
    readonly active: number;
    readonly counters: { readonly eventsSent: number; readonly canceledSlow: number };
  };
}

const ROLES = ["leader", "follower", "candidate", "learner"] as const;

/** The node's registry; request metrics are added to it by metered_service.ts. */
export function createNodeMetrics(src: MetricSources): MetricsRegistry {
  const r = new MetricsRegistry();
  addRaftMetrics(r, src.node);
  addRaftEventMetrics(r, src.node);
  addDriverMetrics(r, src.node);
  addStorageMetrics(r, src.node);
  const conns = r.gauge("tinykv_open_connections", "Open client connections per port.", ["port"]);
  const info = r.gauge("tinykv_build_info", "Always 1; the version is a label.", ["version"]);
  const watches = r.gauge("tinykv_watches_active", "Open watches on this node.");
  const sent = r.counter("tinykv_watch_events_sent_total", "Watch events sent to clients.");
  const slow = r.counter(
    "tinykv_watch_slow_cancels_total",
    "Watches canceled because their client did not keep up (buffer full).",
  );
  r.onCollect(() => {
    watches.set(src.watch?.active ?? 0);
    sent.set(src.watch?.counters.eventsSent ?? 0);
    slow.set(src.watch?.counters.canceledSlow ?? 0);
    const c = src.connections();
    conns.set(c.protobuf, { port: "protobuf" });
    conns.set(c.resp, { port: "resp" });
    info.set(1, { version: VERSION });
  });
  return r;
}

function addRaftMetrics(r: MetricsRegistry, node: NodeService): void {
  const g = (name: string, help: string, labels: string[] = []) => r.gauge(name, help, labels);
  const term = g("tinykv_raft_term", "Current Raft term.");
  const role = g("tinykv_raft_role", "1 for the node's current role, 0 for the others.", ["role"]);
  const leader = g("tinykv_raft_leader_id", "Id of the leader this node knows; 0 when none.");
  const commit = g("tinykv_raft_commit_index", "Highest log index known committed.");
  const applied = g("tinykv_raft_applied_index", "Highest log index applied to the state machine.");
  const last = g("tinykv_raft_last_index", "Highest log index stored.");
  const members = g("tinykv_raft_members", "Members of the configuration by kind.", ["kind"]);
  const match = g(
    "tinykv_raft_follower_match_index",
    "Leader only: highest log index known replicated on each peer.",
    ["peer"],
  );
  const lag = g(
    "tinykv_raft_follower_lag_entries",
    "Leader only: log entries each peer is missing (leader last index - match index).",
    ["peer"],
  );
  const pending = g("tinykv_raft_pending_proposals", "Writes proposed here waiting to apply.");
  const revision = g("tinykv_revision", "The store revision: Raft index of the last change.");
  const compacted = g("tinykv_compacted_revision", "Reads and watches below it get COMPACTED.");
  const leases = g("tinykv_leases", "Leases in the replicated lease table.");
  const removed = g("tinykv_history_compacted_changes", "History changes compaction removed here.");
  const garbage = g("tinykv_redis_garbage_removed", "Dead Redis hash/set members removed here.");
  r.onCollect(() => {
    const s = node.status();
    const lastIndex = typeof s.lastIndex === "number" ? s.lastIndex : 0;
    term.set(s.term);
    for (const name of ROLES) role.set(s.role === name ? 1 : 0, { role: name });
    leader.set(s.leader ?? 0);
    commit.set(s.commitIndex);
    applied.set(s.appliedIndex);
    last.set(lastIndex);
    const learners = s.members.filter((m) => m.learner).length;
    members.set(s.members.length - learners, { kind: "voter" });
    members.set(learners, { kind: "learner" });
    match.clear();
    lag.clear();
    for (const m of s.members) {
      if (m.matchIndex === undefined || m.id === s.id) continue;
      match.set(m.matchIndex, { peer: String(m.id) });
      lag.set(Math.max(0, lastIndex - m.matchIndex), { peer: String(m.id) });
    }
    pending.set(node.proposals.size);
    revision.set(node.kv.revision);
    compacted.set(node.kv.compactedRevision);
    leases.set(node.kv.leaseTable.size);
    removed.set(node.kv.compactor.removed);
    garbage.set(node.kv.garbage.removed);
  });
}

/** The multi-region driver's own counters (src/raft/multi/driver.ts). */
function addDriverMetrics(r: MetricsRegistry, node: NodeService): void {
  const rounds = r.counter(
    "tinykv_raft_driver_rounds_total",
    "Driver rounds saved (one log append and at most one fsync for every region in it).",
  );
  const regions = r.gauge("tinykv_raft_regions", "Regions on this node, by state.", ["state"]);
  const refused = r.counter(
    "tinykv_raft_driver_refused_total",
    "Peer batches refused (driver inbox full) and messages for regions not on this node.",
    ["what"],
  );
  r.onCollect(() => {
    const d = node.raft.driver;
    rounds.set(d.rounds);
    regions.set(d.regionIds().length, { state: "all" });
    regions.set(d.quietCount, { state: "quiet" });
    refused.set(d.droppedBatches, { what: "batches" });
    refused.set(d.droppedMessages, { what: "unknown_region" });
  });
}

function addRaftEventMetrics(r: MetricsRegistry, node: NodeService): void {
  const c = (name: string, help: string, labels: string[] = []) => r.counter(name, help, labels);
  const elections = c(
    "tinykv_raft_elections_total",
    "Elections by outcome: pre_vote (pre-vote rounds), started (became candidate), won.",
    ["event"],
  );
  const leaders = c("tinykv_raft_leader_changes_total", "Changes to a new known leader seen.");
  const proposals = c(
    "tinykv_raft_proposals_total",
    "Leader write proposals: proposed (appended), committed (applied in the proposer's term), " +
      "dropped (refused by Raft or overwritten by a new leader), timed_out (waiter gave up).",
    ["result"],
  );
  const dropped = c(
    "tinykv_raft_dropped_messages_total",
    "Raft messages dropped, by reason: inbox_full (incoming), queue_full, connection_lost, " +
      "unknown_peer (outgoing).",
    ["reason"],
  );
  const snapSent = c("tinykv_raft_snapshots_sent_total", "Snapshots sent, by result.", ["result"]);
  const snapRecv = c(
    "tinykv_raft_snapshots_received_total",
    "Snapshot streams received, by result.",
    ["result"],
  );
  const fsyncs = c("tinykv_raft_log_fsyncs_total", "Raft log fsyncs (group commits).");
  const stalled = c(
    "tinykv_raft_stalls_total",
    "Stalls of half an election timeout or more that kept heartbeats in: late (the Raft " +
      "timer fired late: the event loop was held or the process paused), round (one Raft " +
      "round ran long).",
    ["kind"],
  );
  r.onCollect(() => {
    const core = node.node.rawNode.status().counts;
    elections.set(core.preVotesStarted, { event: "pre_vote" });
    elections.set(core.electionsStarted, { event: "started" });
    elections.set(core.electionsWon, { event: "won" });
    leaders.set(node.leaderHistory.leadersSeen);
    const p = node.proposals.counts;
    proposals.set(core.proposalsAccepted, { result: "proposed" });
    proposals.set(p.committed, { result: "committed" });
    proposals.set(core.proposalsRefused + p.overwritten, { result: "dropped" });
    proposals.set(p.timedOut, { result: "timed_out" });
    const t = node.transport.counters;
    dropped.set(node.node.droppedMessages, { reason: "inbox_full" });
    dropped.set(t.droppedQueueFull, { reason: "queue_full" });
    dropped.set(t.droppedConnectionLost, { reason: "connection_lost" });
    dropped.set(t.droppedUnknownPeer, { reason: "unknown_peer" });
    snapSent.set(t.snapshotsSent, { result: "ok" });
    snapSent.set(t.snapshotsFailed, { result: "failed" });
    snapSent.set(t.snapshotsSkipped, { result: "skipped" });
    const sr = node.snapshotsReceived;
    snapRecv.set(sr.received, { result: "ok" });
    snapRecv.set(sr.failed, { result: "failed" });
    snapRecv.set(sr.superseded, { result: "superseded" });
    fsyncs.set(node.logStore.syncs);
    const st = node.raft.stalls.counts;
    stalled.set(st.late, { kind: "late" });
    stalled.set(st.round, { kind: "round" });
  });
}

function addStorageMetrics(r: MetricsRegistry, node: NodeService): void {
  const g = (name: string, help: string, labels: string[] = []) => r.gauge(name, help, labels);
  const c = (name: string, help: string, labels: string[] = []) => r.counter(name, help, labels);
  const files = g("tinykv_storage_level_files", "Table files per LSM level.", ["level"]);
  const bytes = g("tinykv_storage_level_bytes", "Table bytes per LSM level.", ["level"]);
  const memtable = g("tinykv_storage_memtable_bytes", "Bytes in the active memtable.");
  const stall = g(
    "tinykv_storage_write_backpressure",
    "1 for the current L0 backpressure state (none, slowdown, stop).",
    ["state"],
  );
  const flushes = c("tinykv_storage_flushes_total", "Memtable flushes to L0.");
  const compactions = c("tinykv_storage_compactions_total", "Compactions (merges) run.");
  const moves = c("tinykv_storage_trivial_moves_total", "Tables moved down a level unmerged.");
  const compBytes = c(
    "tinykv_storage_compaction_bytes_total",
    "Bytes compactions read and wrote.",
    ["direction"],
  );
  const stalls = c(
    "tinykv_storage_write_stalls_total",
    "Writes delayed (slowdown) or blocked (stop, memtable) by backpressure.",
    ["kind"],
  );
  const cacheHits = c("tinykv_storage_block_cache_hits_total", "Block cache hits.");
  const cacheMisses = c("tinykv_storage_block_cache_misses_total", "Block cache misses.");
  const cacheBytes = g("tinykv_storage_block_cache_bytes", "Block cache bytes used and capacity.", [
    "kind",
  ]);
  const hitRatio = g("tinykv_storage_block_cache_hit_ratio", "Hits / (hits + misses) so far.");
  const walSyncs = c(
    "tinykv_storage_wal_syncs_total",
    "Engine WAL fsyncs (0: the node runs the engine without a WAL; see the Raft log fsyncs).",
  );
  const scanSteps = c(
    "tinykv_storage_scan_steps_total",
    "Engine entries scans stepped over (tombstones, old versions and read-ahead included).",
  );
  addBlobMetrics(r, node);
  r.onCollect(() => {
    const st = node.db.stats();
    st.levels.forEach((l, i) => {
      files.set(l.files, { level: String(i) });
      bytes.set(l.bytes, { level: String(i) });
    });
    memtable.set(st.memtableBytes);
    for (const s of ["none", "slowdown", "stop"]) {
      stall.set(st.backpressure === s ? 1 : 0, { state: s });
    }
    flushes.set(st.flushes);
    compactions.set(st.compactions);
    moves.set(st.trivialMoves);
    compBytes.set(st.compactionBytesRead, { direction: "read" });
    compBytes.set(st.compactionBytesWritten, { direction: "written" });
    stalls.set(st.writeSlowdowns, { kind: "slowdown" });
    stalls.set(st.writeStops, { kind: "stop" });
    stalls.set(st.memtableStalls, { kind: "memtable" });
    const bc = st.blockCache;
    cacheHits.set(bc.hits);
    cacheMisses.set(bc.misses);
    cacheBytes.set(bc.bytes, { kind: "used" });
    cacheBytes.set(bc.capacity, { kind: "capacity" });
    hitRatio.set(bc.hits + bc.misses === 0 ? 0 : bc.hits / (bc.hits + bc.misses));
    walSyncs.set(st.walSyncs);
    scanSteps.set(st.scanSteps);
  });
}

/** The engine's blob files (docs/storage.md#blob-files). */
function addBlobMetrics(r: MetricsRegistry, node: NodeService): void {
  const files = r.gauge("tinykv_storage_blob_files", "Blob files (values kept apart from tables).");
  const bytes = r.gauge(
    "tinykv_storage_blob_bytes",
    "Bytes of blob files: in all, and known dead (no table references them).",
    ["kind"],
  );
  const collections = r.counter(
    "tinykv_storage_blob_collections_total",
    "Compactions picked to move live values out of mostly-dead blob files.",
  );
  r.onCollect(() => {
    const b = node.db.stats().blobs;
    files.set(b.files);
    bytes.set(b.bytes, { kind: "all" });
    bytes.set(b.garbageBytes, { kind: "dead" });
    collections.set(b.collections);
  });
}
