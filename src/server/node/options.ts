/** How a TinyKV node (node_service.ts) is configured. */
import type { Clock, FileSystem, Net } from "../../platform/types.ts";

export interface NodeServiceOptions {
  readonly id: number;
  /** Protobuf/Raft address of every initial voter, this node included. */
  readonly peers: ReadonlyMap<number, string>;
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly net: Net;
  readonly clock: Clock;
  readonly seed: number;
  readonly readMode?: "linearizable" | "lease";
  readonly clusterToken?: string;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** How long a write or read may wait inside the node. */
  readonly requestTimeoutMs?: number;
  /** Compact the Raft log after this many applied entries (default 100,000, or 64 MiB). */
  readonly compactEntries?: number;
  /**
   * Start with no configuration and wait to be added by the cluster's leader
   * (`member add`), instead of bootstrapping a new cluster from `peers`.
   */
  readonly join?: boolean;
  /** How long one membership step (apply, learner catch-up) may take (default 60 s). */
  readonly membershipStepTimeoutMs?: number;
  /** This node lost its state: it does not vote until it has caught up (rebuild.ts). */
  readonly rebuild?: boolean;
  /** Where fault and rebuild events are logged (one line each). */
  readonly log?: (line: string) => void;
}
