/** What the multi-region driver (driver.ts) is given. */
import type { Clock } from "../../platform/types.ts";
import type { MultiLogStore } from "../multi_log_store.ts";
import type { NodeHooks } from "../node_options.ts";
import type { RegionRaftConfig, RegionStateMachine } from "./region_replica.ts";
import type { MultiTransport } from "./transport.ts";
import type { ApplyPassBracket } from "./apply_pass.ts";

export interface MultiRaftOptions {
  readonly nodeId: number;
  readonly log: MultiLogStore;
  readonly transport: MultiTransport;
  readonly raft: RegionRaftConfig;
  /** Default true. */
  readonly quiesce?: boolean;
  /** Ticks between liveness beats (default: the heartbeat interval). */
  readonly livenessTicks?: number;
  /** Peer nodes that get liveness beats (besides the other members of its regions). */
  readonly peers?: readonly number[];
  /** Compact a region's log after this many applied entries (needs `sm.flush`). */
  readonly snapshotEntries?: number;
  /**
   * Or after this many entry bytes applied (default RAFT_LOG_COMPACT_BYTES
   * with `snapshotEntries`): entries stay in memory until compaction.
   */
  readonly snapshotBytes?: number;
  /** Seeds the regions' election jitter. */
  readonly seed?: number;
  /** Changes at every restart (default: random). */
  readonly incarnation?: number;
  /** Batches held between rounds; more are dropped (Raft retransmits). */
  readonly inboxMax?: number;
  /** Times the retries of a save that failed for lack of space; without it they are at once. */
  readonly clock?: Clock;
  /**
   * Holds a leader's commit-only appends until its next append to that
   * follower, COMMIT_NOTICE_HOLD_MS (with a clock) or the next tick
   * (commit_notices.ts): at one write in flight a write costs no notice, no
   * follower round and no acknowledgement of it. Off: notices leave at once.
   */
  readonly holdCommitNotices?: boolean;
  /** Told around each group of region applies the rounds run together (apply_pass.ts). */
  readonly applyPass?: ApplyPassBracket;
}

export interface RegionSpec {
  readonly id: number;
  readonly sm: RegionStateMachine;
  /** Bootstraps the region on these voters when the log has nothing of it. */
  readonly voters?: readonly number[];
  /** What RaftNode's hooks offer, per region: soft state, read states, applied conf changes. */
  readonly hooks?: NodeHooks;
}

/** What drives a driver from a clock (driver_loop.ts), for the region handles. */
export interface DriverLoop {
  kick(): void;
  start(): void;
  stop(): void;
  /** Ticks missed during a stall, now (before a request: lease reads). */
  catchUp(): void;
}
