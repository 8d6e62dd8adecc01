/**
 * What a node reports about itself (`GET /status`, `tinykv status`, the
 * dashboard): produced by the node (status.ts), read by every port.
 */
export type Role = "leader" | "follower" | "candidate" | "learner";

export interface MemberStatus {
  readonly id: number;
  readonly address: string;
  readonly learner: boolean;
  /** Leader only: highest log index known replicated on this member. */
  readonly matchIndex?: number;
}

export interface NodeStatus {
  readonly id: number;
  readonly role: Role;
  readonly term: number;
  readonly leader: number | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** The store revision (docs/coordination.md) and the oldest still readable. */
  readonly revision?: number;
  readonly compactedRevision?: number;
  /** Leases in the replicated table; watches open on this node. */
  readonly leases?: number;
  readonly watches?: number;
  readonly members: readonly MemberStatus[];
  /** The data directory's cluster id (identity.ts); null while a joining node lacks it. */
  readonly clusterId?: string | null;
  /** False when this node is not in its configuration (removed, or waiting to be added). */
  readonly member?: boolean;
  /** 1: one region; 2: regions split or may (region_mode.ts). */
  readonly regionMode?: number;
  readonly [extra: string]: unknown;
}

/** Read-only view of a node for the status routes. */
export interface StatusSource {
  status(): NodeStatus;
  /** True when the node knows a leader and has applied everything it knows committed. */
  healthy(): boolean;
}
