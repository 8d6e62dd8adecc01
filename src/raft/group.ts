/**
 * What the server node uses of a Raft group's driver, whichever drives it:
 * the single-group `RaftNode` (node.ts) or one region of the multi-region
 * driver (`MultiRaftDriver.regionNode`, multi/region_node.ts). The server
 * node (src/server/node/) can take either (docs/raft.md "Multi-region
 * driver", the handle).
 */
import type { NoSpaceError } from "../util/errors.ts";
import type { ConfChange } from "./core/confchange/conf_change.ts";
import type { Message } from "./core/messages.ts";
import type { ProposeResult, RawNode, RequestResult } from "./core/raw_node.ts";

export interface RaftGroup {
  /**
   * The group's core: status and the narrow queries, `campaign`,
   * `transferLeader`, `reportUnreachable`, `reportSnapshot`. What these
   * change is collected at the next `kick`.
   */
  readonly rawNode: RawNode;
  /** The error that stopped the group's driver (a failed fsync is fatal), if any. */
  readonly failure: unknown;
  /** Stops the driver for good (its state is corrupted): no more Readys, ticks or votes. */
  halt(reason: unknown): void;
  /** Set while the log cannot be written for lack of space (retried with backoff). */
  readonly diskFull: NoSpaceError | undefined;
  /** While true the group neither grants votes nor campaigns (a rebuilding node). */
  suppressVotes: boolean;
  /** Peer messages refused because the inbox was full. */
  readonly droppedMessages: number;
  /** Queues a peer message of this group; false when the inbox is full (dropped). */
  receive(m: Message): boolean;
  /** Runs the driver's Ready loop soon (after `receive`, a request or a core call). */
  kick(): void;
  /** Drives the group (its driver) from the clock. */
  start(): void;
  stop(): void;
  propose(data: Uint8Array): ProposeResult;
  proposeConfChange(cc: ConfChange): ProposeResult;
  /** A linearizable read; the answer arrives through the onReadStates hook. */
  readIndex(context: Uint8Array): RequestResult;
  /** Compacts the group's log soon; resolves with the snapshot index then. */
  compactNow(): Promise<number>;
  /**
   * Whether member `node` counts as heard from recently, given its progress's flag: also that
   * its node beats, where the driver knows (multi/region_replica.ts `heardFrom`).
   */
  heardFrom?(node: number, heardRecently: boolean): boolean;
}
