/**
 * How the multi-region driver (driver.ts) reaches its peer nodes: one batch
 * per destination node per driver round, each Raft message tagged with its
 * region, plus the node-level liveness beat that lets quiescent regions stay
 * silent (docs/raft.md "Multi-region driver"). Raft ids are node ids here:
 * a region's replica on node N has Raft id N.
 */
import type { Message } from "../core/messages.ts";

/** A Raft message of one region. */
export interface RegionMessage {
  readonly region: number;
  readonly message: Message;
}

/** A quiescent region led by the sender: its term and commit index when it went quiet. */
export interface QuietRegion {
  readonly region: number;
  readonly term: number;
  readonly commit: number;
}

/**
 * The node-level heartbeat, one per peer node per liveness interval (not per
 * region). `incarnation` changes when the sender restarts, so its followers'
 * quiescent regions wake even if the restart was quicker than a timeout.
 */
export interface LivenessBeat {
  readonly incarnation: number;
  /** The sender's quiescent regions that have the recipient as a member. */
  readonly quiet: readonly QuietRegion[];
}

/** Everything one node sends another in one driver round. */
export interface NodeBatch {
  readonly from: number;
  readonly to: number;
  readonly messages: readonly RegionMessage[];
  readonly beat?: LivenessBeat;
}

export interface MultiTransport {
  /** Queues a batch for node `batch.to`. Never blocks: a transport queues or drops. */
  send(batch: NodeBatch): void;
  /**
   * Hands what is queued to the sockets now rather than at the end of the turn: a leader's
   * appends leave before its own save's write and fsync hand-off (round.ts `#beforeSave`).
   */
  flushNow?(): void;
}
