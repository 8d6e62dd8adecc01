/**
 * Configuration of one Raft node. Time is counted in ticks: the driver turns
 * clock intervals into `tick()` calls, so the core never reads a clock.
 */
import type { Prng } from "../../util/prng.ts";
import type { RaftStorage } from "./storage.ts";
import {
  RAFT_INFLIGHT_MSGS_MAX,
  RAFT_MSG_BYTES_MAX,
  RAFT_UNCOMMITTED_BYTES_MAX,
  READ_INDEX_PENDING_MAX,
} from "../../limits.ts";

/** How ReadIndex requests are confirmed. */
export const ReadOnlyOption = {
  /** A heartbeat round to a quorum confirms leadership (always safe). */
  Safe: 0,
  /**
   * The leader answers from its lease without a round trip while the lease
   * holds; it falls back to `Safe` otherwise. Requires `checkQuorum`.
   */
  LeaseBased: 1,
} as const;
export type ReadOnlyOption = typeof ReadOnlyOption[keyof typeof ReadOnlyOption];

export interface RaftConfig {
  /** This node's id, non-zero. */
  readonly id: number;
  /** Ticks without hearing from a leader before a follower campaigns. */
  readonly electionTicks: number;
  /** Ticks between leader heartbeats; must be smaller than `electionTicks`. */
  readonly heartbeatTicks: number;
  readonly storage: RaftStorage;
  /** Source of randomized election timeouts. */
  readonly prng: Prng;
  /** Last applied index when restarting; 0 for a new node. */
  readonly applied?: number;
  /** Target largest append message in bytes. */
  readonly maxMsgBytes?: number;
  /** Most append messages in flight to one follower. */
  readonly maxInflightMsgs?: number;
  /** Uncommitted payload bytes beyond which the leader refuses proposals. */
  readonly maxUncommittedBytes?: number;
  /** Most ReadIndex requests waiting for confirmation. */
  readonly maxPendingReads?: number;
  /** Leader steps down when it has not heard from a quorum for an election timeout. */
  readonly checkQuorum?: boolean;
  /** Run a pre-election so a partitioned node cannot disrupt a healthy leader. */
  readonly preVote?: boolean;
  readonly readOnlyOption?: ReadOnlyOption;
  /**
   * Ticks subtracted from the election timeout to get the lease, covering
   * clock-rate differences between nodes (lease = electionTicks - margin).
   */
  readonly leaseDriftTicks?: number;
  /** Drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding?: boolean;
  /**
   * The leader counts its own log toward a commit only as far as the driver has
   * persisted it (acknowledged through `RawNode.advance`), not as far as it has
   * appended. A driver that steps peer acknowledgements while its own fsync is
   * still running needs this (Raft thesis §10.2.1; docs/raft.md, the driver). A
   * leader with no other member in its progress counts its appends at once: no
   * peer can learn of a commit before its own Ready is persisted.
   */
  readonly selfAckAfterPersist?: boolean;
}

/** A config with every default filled in. */
export type ResolvedConfig = Required<RaftConfig>;

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code = "INVALID_ARGUMENT" as const;
}

function positiveInt(v: number): boolean {
  return Number.isSafeInteger(v) && v > 0;
}

/** Validates a config and fills defaults. Throws `ConfigError` on a bad config. */
export function validateConfig(c: RaftConfig): ResolvedConfig {
  if (!positiveInt(c.id)) throw new ConfigError("id must be a positive integer");
  if (!positiveInt(c.heartbeatTicks)) throw new ConfigError("heartbeatTicks must be > 0");
  if (!positiveInt(c.electionTicks) || c.electionTicks <= c.heartbeatTicks) {
    throw new ConfigError("electionTicks must be greater than heartbeatTicks");
  }
  const r: ResolvedConfig = {
    id: c.id,
    electionTicks: c.electionTicks,
    heartbeatTicks: c.heartbeatTicks,
    storage: c.storage,
    prng: c.prng,
    applied: c.applied ?? 0,
    maxMsgBytes: c.maxMsgBytes ?? RAFT_MSG_BYTES_MAX,
    maxInflightMsgs: c.maxInflightMsgs ?? RAFT_INFLIGHT_MSGS_MAX,
    maxUncommittedBytes: c.maxUncommittedBytes ?? RAFT_UNCOMMITTED_BYTES_MAX,
    maxPendingReads: c.maxPendingReads ?? READ_INDEX_PENDING_MAX,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    readOnlyOption: c.readOnlyOption ?? ReadOnlyOption.Safe,
    leaseDriftTicks: c.leaseDriftTicks ?? Math.max(1, Math.floor(c.electionTicks / 5)),
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    selfAckAfterPersist: c.selfAckAfterPersist ?? false,
  };
  if (!positiveInt(r.maxInflightMsgs)) throw new ConfigError("maxInflightMsgs must be > 0");
  if (!positiveInt(r.maxMsgBytes)) throw new ConfigError("maxMsgBytes must be > 0");
  if (!positiveInt(r.maxUncommittedBytes)) {
    throw new ConfigError("maxUncommittedBytes must be > 0");
  }
  if (!positiveInt(r.maxPendingReads)) throw new ConfigError("maxPendingReads must be > 0");
  if (!Number.isSafeInteger(r.applied) || r.applied < 0) {
    throw new ConfigError("applied must be >= 0");
  }
  if (r.readOnlyOption === ReadOnlyOption.LeaseBased && !r.checkQuorum) {
    // Without CheckQuorum a deposed leader never notices and would serve stale reads.
    throw new ConfigError("lease-based reads require checkQuorum");
  }
  if (!positiveInt(r.leaseDriftTicks) || r.leaseDriftTicks >= r.electionTicks) {
    throw new ConfigError("leaseDriftTicks must be in [1, electionTicks)");
  }
  return r;
}
