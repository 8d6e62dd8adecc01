/** Node status and membership as the client library returns them, from their wire form. */
import type { AdminResponse, Member, StatusResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import { u64ToNumber } from "../util/ids.ts";

export interface MemberInfo {
  readonly id: number;
  /** Protobuf/Raft address, host:port. */
  readonly address: string;
  readonly learner: boolean;
}

export interface ClusterStatus {
  readonly id: number;
  readonly role: string;
  readonly term: number;
  readonly leaderId: number | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** The store revision and the oldest readable one (docs/coordination.md). */
  readonly revision: number;
  readonly compactedRevision: number;
  readonly members: MemberInfo[];
  /** The node's cluster id (null while a joining node has not learned it). */
  readonly clusterId: string | null;
  /** False when the node is not in its cluster's membership (removed, or waiting to join). */
  readonly member: boolean;
  /** 1: one region; 2: regions split or may; 0: not said (an older build). */
  readonly regionMode: number;
}

export function memberFromWire(m: Member): MemberInfo {
  return { id: u64ToNumber(m.id, "member id"), address: m.address, learner: m.learner };
}

/** Converts the wire StatusResponse (uint64 as bigint) to numbers. */
export function statusFromWire(s: StatusResponse): ClusterStatus {
  const leaderId = u64ToNumber(s.leaderId, "leader id");
  return {
    id: u64ToNumber(s.id, "id"),
    role: s.role,
    term: u64ToNumber(s.term, "term"),
    leaderId: leaderId === 0 ? null : leaderId,
    commitIndex: u64ToNumber(s.commitIndex, "commit index"),
    appliedIndex: u64ToNumber(s.appliedIndex, "applied index"),
    revision: u64ToNumber(s.revision, "revision"),
    compactedRevision: u64ToNumber(s.compactedRevision, "compacted revision"),
    members: s.members.map(memberFromWire),
    clusterId: s.clusterId === "" ? null : s.clusterId,
    member: !s.notMember,
    regionMode: s.regionMode,
  };
}

/** The membership an admin response carries. */
export function membersOf(r: AdminResponse): MemberInfo[] {
  return r.members.map(memberFromWire);
}
