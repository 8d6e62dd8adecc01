/** A node's `/status` answer (docs/design.md §3), built from its Raft state. */
import { StateType } from "../../raft/core/raft.ts";
import type { RaftNode } from "../../raft/node.ts";
import type { AddressBook } from "../membership/address_book.ts";
import type { NodeStatus, Role } from "./status_types.ts";
import type { FaultMonitor } from "./faults.ts";

export function describeNode(
  id: number,
  node: RaftNode,
  appliedIndex: number,
  addresses: AddressBook,
  faults: FaultMonitor,
): NodeStatus {
  const raft = node.rawNode.raft;
  const cs = node.rawNode.status().confState;
  const role: Role = raft.state === StateType.Leader
    ? "leader"
    : raft.isLearner
    ? "learner"
    : raft.state === StateType.Follower
    ? "follower"
    : "candidate";
  const member = (memberId: number, learner: boolean) => ({
    id: memberId,
    address: addresses.get(memberId) ?? "",
    learner,
    ...(role === "leader" ? { matchIndex: raft.trk.progress.get(memberId)?.match ?? 0 } : {}),
  });
  return {
    id,
    role,
    term: raft.term,
    leader: raft.lead === 0 ? null : raft.lead,
    commitIndex: raft.log.committed,
    appliedIndex,
    lastIndex: raft.log.lastIndex(),
    members: [
      ...cs.voters.map((v) => member(v, false)),
      ...cs.learners.map((l) => member(l, true)),
    ],
    fault: faults.current() ?? null,
    rebuilding: node.suppressVotes,
  };
}
