/**
 * What the Raft driver (node.ts) is given: options, the state machine and
 * hooks; and the one place the driver's defaults are filled in.
 */
import { RAFT_INBOX_MSGS_MAX, RAFT_LOG_COMPACT_BYTES } from "../limits.ts";
import type { Clock } from "../platform/types.ts";
import type { RaftConfig } from "./core/config.ts";
import type { ConfState, Entry, Snapshot } from "./core/messages.ts";
import type { ConfChange } from "./core/confchange/conf_change.ts";
import type { ReadState, SoftState } from "./core/ready.ts";
import type { LogStore } from "./log_store.ts";
import type { Transport } from "./transport.ts";

/** The replicated state machine, as the driver sees it. */
export interface StateMachine {
  /** Applies committed entries in order (conf change entries included, for their index). */
  apply(entries: readonly Entry[]): void | Promise<void>;
  /** Replaces the state with a snapshot's image. */
  restore(snapshot: Snapshot): void | Promise<void>;
  /**
   * The state's image as of the last applied entry, for log compaction. It
   * may be asynchronous (a state machine that must first make its applied
   * state durable, then returns a small marker).
   */
  image?(): Uint8Array | Promise<Uint8Array>;
}

export interface NodeHooks {
  /** ReadIndex results: serve each read once `index` is applied. */
  onReadStates?(states: readonly ReadState[]): void;
  onSoftState?(soft: SoftState): void;
  /** The conf change `cc` at `index` was applied here, and led to configuration `cs`. */
  onConfChange?(cc: ConfChange, cs: ConfState, index: number): void;
}

export interface RaftNodeOptions {
  /** Core configuration; storage and applied index come from `logStore`. */
  readonly raft: Omit<RaftConfig, "storage" | "applied">;
  readonly logStore: LogStore;
  readonly transport: Transport;
  readonly stateMachine: StateMachine;
  readonly hooks?: NodeHooks;
  /** Needed only for `start()`. */
  readonly clock?: Clock;
  readonly tickMs?: number;
  readonly inboxMax?: number;
  /**
   * Compact the log once this many entries were applied after the last
   * snapshot (needs `stateMachine.image`). Undefined: never compact.
   */
  readonly snapshotEntries?: number;
  /**
   * Compact the log once this many payload bytes were applied after the last
   * snapshot. Defaults to RAFT_LOG_COMPACT_BYTES when `snapshotEntries` is
   * set, so that a few large values do not stay in memory for thousands of
   * entries.
   */
  readonly snapshotBytes?: number;
}

/** The driver's options with its defaults filled in (by `resolveRaftNodeOptions`). */
export interface ResolvedRaftNodeOptions extends RaftNodeOptions {
  readonly inboxMax: number;
  readonly snapshotBytes: number | undefined;
}

export function resolveRaftNodeOptions(o: RaftNodeOptions): ResolvedRaftNodeOptions {
  return {
    ...o,
    inboxMax: o.inboxMax ?? RAFT_INBOX_MSGS_MAX,
    snapshotBytes: o.snapshotBytes ??
      (o.snapshotEntries !== undefined ? RAFT_LOG_COMPACT_BYTES : undefined),
  };
}
