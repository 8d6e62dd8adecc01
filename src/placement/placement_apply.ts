/**
 * How one decoded placement command changes the placement state
 * (docs/regions.md#placement-service).
 * Pure and deterministic: the only time is the command's own stamp, folded into the group's
 * clock (`appliedMs`, never moving backwards). A refused command changes nothing but that clock.
 */
import {
  MULTI_LOG_REGIONS_MAX,
  PLACEMENT_NODES_MAX,
  PLACEMENT_REMOVED_NODES_MAX,
} from "../limits_ops.ts";
import type { ClusterView } from "./cluster_view.ts";
import type { CommandOf, PlacementCommand } from "./placement_commands.ts";

/** What applying one command did, for its proposer. */
export type PlacementOutcome =
  /** Applied: the state changed as the command asked. */
  | { readonly kind: "applied" }
  /** Well formed but superseded (a report older than what is held): nothing changed. */
  | { readonly kind: "ignored"; readonly reason: string }
  /** Ids `first .. first + count − 1` are the proposer's. */
  | { readonly kind: "ids"; readonly first: number; readonly count: number }
  /** The timestamp oracle's bound now persisted (at least the one proposed). */
  | { readonly kind: "tso-bound"; readonly bound: number }
  /** Bad bytes or a command the state does not allow: nothing changed. */
  | { readonly kind: "refused"; readonly reason: string };

/** The placement state outside the ClusterView (mutated in place by apply). */
export interface PlacementCounters {
  appliedMs: number;
  bootstrapped: boolean;
  nextId: number;
  tsoBound: number;
  /** Removed node ids, oldest first, at most PLACEMENT_REMOVED_NODES_MAX. */
  removed: number[];
}

const APPLIED: PlacementOutcome = Object.freeze({ kind: "applied" });

function refused(reason: string): PlacementOutcome {
  return { kind: "refused", reason };
}

export function applyCommand(
  view: ClusterView,
  c: PlacementCounters,
  cmd: PlacementCommand,
): PlacementOutcome {
  c.appliedMs = Math.max(c.appliedMs, cmd.atMs);
  if (cmd.kind === "bootstrap") {
    if (c.bootstrapped) return refused("the placement group is already bootstrapped");
    for (const n of cmd.nodes) {
      view.nodeHeartbeat({
        ...heartbeatFields(c, 0, 0),
        id: n.nodeId,
        address: n.address,
        zone: n.zone,
      });
    }
    view.regionReport({
      descriptor: cmd.region,
      leader: 0,
      sizeBytes: 0,
      writesPerSec: 0,
      caughtUp: [],
      reportedMs: c.appliedMs,
      term: 0,
    });
    c.nextId = Math.max(c.nextId, cmd.region.id + 1);
    c.bootstrapped = true;
    return APPLIED;
  }
  if (!c.bootstrapped) return refused("the placement group is not bootstrapped");
  switch (cmd.kind) {
    case "heartbeat": {
      if (c.removed.includes(cmd.nodeId)) return refused(`node ${cmd.nodeId} was removed`);
      const known = view.node(cmd.nodeId) !== undefined;
      if (!known && view.nodeCount >= PLACEMENT_NODES_MAX) {
        return refused(`already ${PLACEMENT_NODES_MAX} nodes (PLACEMENT_NODES_MAX)`);
      }
      view.nodeHeartbeat({
        ...heartbeatFields(c, cmd.capacityBytes, cmd.usedBytes),
        id: cmd.nodeId,
        address: cmd.address,
        zone: cmd.zone,
      });
      return APPLIED;
    }
    case "region-report":
      return applyReport(view, c, cmd);
    case "drain-node":
      return view.drain(cmd.nodeId) ? APPLIED : refused(`node ${cmd.nodeId} is unknown`);
    case "remove-node":
      return removeNode(view, c, cmd.nodeId);
    case "allocate-ids": {
      const first = c.nextId;
      if (!Number.isSafeInteger(first + cmd.count)) return refused("ids are exhausted");
      c.nextId = first + cmd.count;
      return { kind: "ids", first, count: cmd.count };
    }
    case "persist-tso-bound":
      c.tsoBound = Math.max(c.tsoBound, cmd.bound);
      return { kind: "tso-bound", bound: c.tsoBound };
  }
}

function heartbeatFields(c: PlacementCounters, capacityBytes: number, usedBytes: number) {
  return { capacityBytes, usedBytes, lastHeartbeatMs: c.appliedMs, draining: false };
}

function applyReport(
  view: ClusterView,
  c: PlacementCounters,
  cmd: CommandOf<"region-report">,
): PlacementOutcome {
  const id = cmd.descriptor.id;
  if (id >= c.nextId) return refused(`region ${id} was never allocated (next id ${c.nextId})`);
  if (view.region(id) === undefined && view.map.size >= MULTI_LOG_REGIONS_MAX) {
    return refused(`already ${MULTI_LOG_REGIONS_MAX} regions (MULTI_LOG_REGIONS_MAX)`);
  }
  const taken = view.regionReport({
    descriptor: cmd.descriptor,
    leader: cmd.leader,
    sizeBytes: cmd.sizeBytes,
    writesPerSec: cmd.writesPerSec,
    caughtUp: cmd.caughtUp,
    reportedMs: c.appliedMs,
    term: cmd.term,
  });
  return taken ? APPLIED : { kind: "ignored", reason: `region ${id}: a newer report is held` };
}

function removeNode(view: ClusterView, c: PlacementCounters, nodeId: number): PlacementOutcome {
  if (view.node(nodeId) === undefined) return refused(`node ${nodeId} is unknown`);
  const replicas = view.replicaCount(nodeId);
  if (replicas > 0) return refused(`node ${nodeId} still holds ${replicas} replicas`);
  view.removeNode(nodeId);
  c.removed.push(nodeId);
  if (c.removed.length > PLACEMENT_REMOVED_NODES_MAX) c.removed.shift();
  return APPLIED;
}
