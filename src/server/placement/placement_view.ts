/**
 * What the placement service shows (docs/operations.md "Placement"): a summary in `/status`
 * (`placementStatus`), the whole view in `GET /placement` (`placementJson`), and its series in
 * `/metrics` (`addPlacementMetrics`). Nodes and region reports come from this node's replica of
 * the placement state (a member's; a node outside region 0 holds none); the operators come from
 * the leader's scheduler, each with the step region leaders are to run next (sent with the
 * answers to their heartbeats and run there: region_operators.ts).
 */
import { REGIONS_RESPONSE_MAX } from "../../limits_ops.ts";
import type { Operator, Step } from "../../placement/operator.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { toHex } from "../../util/bytes.ts";
import type { PlacementNode } from "./placement_node.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";

function nodesOf(p: PlacementNode) {
  const s = p.state;
  const now = s.appliedMs;
  return s.view.nodes().map((n) => ({
    id: n.id,
    address: n.address,
    zone: n.zone,
    capacityBytes: n.capacityBytes,
    usedBytes: n.usedBytes,
    heartbeatAgeMs: Math.max(0, now - n.lastHeartbeatMs),
    draining: n.draining,
    down: s.view.isDown(n.id, now),
  }));
}

/** The `placement` object of `/status`. */
export function placementStatus(p: PlacementNode) {
  const r = p.d.driver.region(PLACEMENT_REGION)?.rawNode;
  const beats = p.heartbeats;
  return {
    region: PLACEMENT_REGION,
    member: p.member,
    // Region 0 recreated on this wiped voter, not voting until it has caught up.
    rejoining: p.rejoin.catchingUp,
    leader: p.leaderId === 0 ? null : p.leaderId,
    isLeader: p.leader !== undefined,
    term: r?.term ?? 0,
    appliedIndex: p.state.appliedIndex,
    nodes: nodesOf(p).map(({ id, zone, heartbeatAgeMs, draining, down }) => ({
      id,
      zone,
      heartbeatAgeMs,
      draining,
      down,
    })),
    heartbeats: { ...beats.counts, lastError: beats.lastError || null },
  };
}

function operatorJson(o: Operator, next: Step | undefined) {
  return {
    ...o,
    state: next === undefined ? "waiting for a report" : "running",
    next: next ?? null,
  };
}

/** `GET /placement`: nodes, region reports, and the operators the scheduler plans now. */
export function placementJson(p: PlacementNode) {
  const s = p.state;
  const now = s.appliedMs;
  const regions = s.view.regions().slice(0, REGIONS_RESPONSE_MAX).map((r) => ({
    id: r.descriptor.id,
    start: toHex(r.descriptor.start),
    end: toHex(r.descriptor.end),
    epoch: r.descriptor.epoch,
    replicas: r.descriptor.replicas,
    leader: r.leader,
    sizeBytes: r.sizeBytes,
    caughtUp: r.caughtUp,
    reportAgeMs: Math.max(0, now - r.reportedMs),
  }));
  const leader = p.leader;
  const c = p.tsoCounts;
  return {
    node: p.d.o.id,
    ...placementStatus(p),
    nodes: nodesOf(p),
    regions,
    tso: {
      bound: s.tsoBound,
      requests: c.requests,
      timestamps: c.timestamps,
      persists: c.persists,
      // Leadership checks the batches asked for, and the quorum rounds that served them.
      confirms: p.check.counts.confirms,
      confirmRounds: p.check.counts.rounds,
      // Region 0 handed to region 1's leader by this node (oracle_follow.ts).
      oracleFollows: p.oracle.transfers,
    },
    // What this node proposed as leader: heartbeats, and region reports the state refused.
    served: {
      heartbeats: c.heartbeats,
      reportsRefused: c.reportsRefused,
      lastRefusal: c.lastRefusal || null,
    },
    // Only the leader schedules: elsewhere this is null (ask the leader's /placement).
    operators: leader === undefined ? null : {
      executed: true,
      planned: leader.scheduler.operators().map((o) =>
        operatorJson(o, leader.planned.find((x) => x.regionId === o.regionId)?.step)
      ),
      sent: leader.sent,
    },
  };
}

export function addPlacementMetrics(r: MetricsRegistry, p: PlacementNode): void {
  const nodesUp = r.gauge("tinykv_placement_nodes_up", "Nodes placement counts up (leader).");
  const nodesDown = r.gauge("tinykv_placement_nodes_down", "Nodes silent past the timeout.");
  const draining = r.gauge("tinykv_placement_nodes_draining", "Nodes marked draining.");
  const isLeader = r.gauge("tinykv_placement_is_leader", "1 when this node leads region 0.");
  const planned = r.gauge("tinykv_placement_operators_planned", "Operators planned (leader).");
  const beats = r.counter("tinykv_placement_heartbeats_total", "Heartbeats by outcome.", [
    "result",
  ]);
  const received = r.counter(
    "tinykv_placement_heartbeats_received_total",
    "Heartbeats this node proposed as placement leader.",
  );
  const tsoRequests = r.counter("tinykv_tso_requests_total", "Timestamp requests served here.");
  const tsoTimestamps = r.counter("tinykv_tso_timestamps_total", "Timestamps handed out here.");
  const tsoPersists = r.counter("tinykv_tso_bound_persists_total", "Bounds persisted (batches).");
  r.onCollect(() => {
    const ns = nodesOf(p);
    const member = p.member;
    nodesUp.set(member ? ns.filter((n) => !n.down).length : 0);
    nodesDown.set(member ? ns.filter((n) => n.down).length : 0);
    draining.set(member ? ns.filter((n) => n.draining).length : 0);
    isLeader.set(p.leader === undefined ? 0 : 1);
    planned.set(p.leader?.scheduler.operators().length ?? 0);
    beats.set(p.heartbeats.counts.answered, { result: "ok" });
    beats.set(p.heartbeats.counts.failed, { result: "failed" });
    received.set(p.tsoCounts.heartbeats);
    tsoRequests.set(p.tsoCounts.requests);
    tsoTimestamps.set(p.tsoCounts.timestamps);
    tsoPersists.set(p.tsoCounts.persists);
  });
}
