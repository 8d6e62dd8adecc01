/** A node's `/status` answer (docs/design.md §3), built from its Raft state. */
import type { RaftGroup } from "../../raft/group.ts";
import type { AddressBook } from "../membership/address_book.ts";
import type { NodeStatus, Role } from "./status_types.ts";
import type { FaultMonitor } from "./faults.ts";
import type { NodeService } from "./node_service.ts";
import { KV_REGION } from "./region_driver.ts";
import { REGION_MODE_ONE, REGION_MODE_SPLIT } from "../peer/region_mode.ts";
import { placementStatus } from "../placement/placement_view.ts";

/** `NodeService.status()`: its Raft state, plus what the service itself knows. */
export function statusOf(n: NodeService): NodeStatus {
  const s = describeNode(n.o.id, n.node, n.kv, n.addresses, n.faults);
  return {
    ...s,
    clusterId: n.clusterId ?? null,
    // As its peer Hello says: a new node takes its cluster's (region_setting.ts).
    regionMode: n.local.host.regionSnapshots ? REGION_MODE_SPLIT : REGION_MODE_ONE,
    watches: n.activeWatches?.() ?? 0,
    // Where the Raft log was last compacted (a snapshot marker; `tinykv snapshot` moves it).
    snapshotIndex: n.logStore.group(KV_REGION).snapshotMarker.index,
    placement: placementStatus(n.raft.placement),
  };
}

export function describeNode(
  id: number,
  node: RaftGroup,
  kv: {
    appliedIndex: number;
    revision: number;
    compactedRevision: number;
    leaseTable: { size: number };
  },
  addresses: AddressBook,
  faults: FaultMonitor,
): NodeStatus {
  const raftStatus = node.rawNode.status();
  const cs = raftStatus.confState;
  const role: Role = raftStatus.role === "leader"
    ? "leader"
    : raftStatus.isLearner
    ? "learner"
    : raftStatus.role === "follower"
    ? "follower"
    : "candidate";
  const member = (memberId: number, learner: boolean) => ({
    id: memberId,
    address: addresses.get(memberId) ?? "",
    learner,
    ...(role === "leader" ? { matchIndex: raftStatus.progress.get(memberId)?.match ?? 0 } : {}),
  });
  return {
    id,
    role,
    term: raftStatus.term,
    leader: raftStatus.lead === 0 ? null : raftStatus.lead,
    commitIndex: raftStatus.commit,
    appliedIndex: kv.appliedIndex,
    lastIndex: raftStatus.lastIndex,
    revision: kv.revision,
    compactedRevision: kv.compactedRevision,
    leases: kv.leaseTable.size,
    members: [
      ...cs.voters.map((v) => member(v, false)),
      ...cs.learners.map((l) => member(l, true)),
    ],
    member: [...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]
      .includes(id),
    fault: faults.current() ?? null,
    rebuilding: node.suppressVotes,
  };
}

/** Healthy (GET /health): no fault, a leader known, everything known committed applied. */
export function isHealthy(
  node: RaftGroup,
  kv: { appliedIndex: number },
  faults: FaultMonitor,
): boolean {
  const raft = node.rawNode;
  return faults.current() === undefined && raft.lead !== 0 && kv.appliedIndex >= raft.commitIndex;
}
