/**
 * What the watch hub (watch_hub.ts) reads and what it hands to a port: the history
 * it catches watches up from, and the messages of one watch's stream.
 */
import type { KeyRange, KvEvent } from "../../kv/key_state.ts";
import type { Watcher } from "./watcher.ts";

/** A page of history: whole revisions, in order. */
export interface HistoryPage {
  readonly events: readonly KvEvent[];
  /** Every revision up to this one is covered (at least `from - 1`). */
  readonly through: number;
}

/**
 * The node's store as the hub reads it (the KvStateMachine of the engine in use: a
 * getter, because a snapshot can replace it).
 */
export interface WatchHistorySource {
  /** The store revision (the revision of its last change). */
  readonly revision: number;
  /** The oldest revision history can still be read from. */
  readonly compactedRevision: number;
  /** Events with revision >= from in `range`; throws when `from` is compacted. */
  readHistory(
    from: number,
    range: KeyRange,
    o: { maxEvents: number; prevKv: boolean },
  ): Promise<HistoryPage>;
}

/** What a client asked to watch. */
export interface WatchSpec {
  readonly range: KeyRange;
  /** The first revision to deliver; 0: the changes after the current revision. */
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
}

/** One message of a watch's stream, after `created`. */
export type WatchMessage =
  | {
    readonly kind: "events";
    readonly events: readonly KvEvent[];
    /** Every event of the watch up to this revision has been delivered. */
    readonly revision: number;
  }
  | { readonly kind: "progress"; readonly revision: number }
  | {
    readonly kind: "canceled";
    readonly reason: string;
    /** The last revision delivered: resume from the one after it. */
    readonly revision: number;
    /** Set when the start revision was compacted: the oldest readable one. */
    readonly compactRevision?: number;
  };

/** The port side of a watch: told when messages are waiting (or the watch ended). */
export interface WatchSink {
  wake(): void;
}

/** Thrown by WatchHub.create when the node has no room for another watch. */
export class WatchLimitError extends Error {
  override name = "WatchLimitError";
}

/**
 * What a port asks of the node's watches: one hub (watch_hub.ts), or one per region on a node
 * holding several (server/node/node_watches.ts).
 */
export interface WatchService {
  /** Registers a watch; throws WatchLimitError (or WatchUnsupportedError) when it cannot. */
  create(spec: WatchSpec, sink: WatchSink): Watcher;
  cancel(w: Watcher, reason: string): void;
  /** The revision the `created` message of watch `w` reports. */
  revisionOf(w: Watcher): number;
  readonly active: number;
  readonly counters: { readonly eventsSent: number; readonly canceledSlow: number };
  close(): void;
}

/** Thrown when a watch asks for what the node does not support (FAILED_PRECONDITION). */
export class WatchUnsupportedError extends WatchLimitError {
  override name = "WatchUnsupportedError";
}
