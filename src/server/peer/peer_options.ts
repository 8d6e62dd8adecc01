/** What the peer transport is given, and the counts it keeps for metrics. */
import type { Clock, Net } from "../../platform/types.ts";
import type { Logger } from "../log/logger.ts";

export interface PeerTransportOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly selfId: number;
  /** This node's own address, sent in Hello. */
  readonly selfAddress?: string;
  readonly clusterToken?: string;
  /** The transport could not deliver to `id` (Raft slows down probing it). */
  readonly onUnreachable?: (id: number) => void;
  /** A snapshot to `id` was fully handed to the socket (ok) or lost (not ok). */
  readonly onSnapshotStatus?: (id: number, ok: boolean) => void;
  /**
   * The state machine's snapshot stream. When set, a Snap message's own data
   * (a small marker) is replaced by this stream, read as it is sent.
   */
  readonly snapshotSource?: () => AsyncIterable<Uint8Array>;
  /** Bytes queued toward one peer, held and in its socket (default PEER_QUEUE_BYTES_MAX). */
  readonly queueBytesMax?: number;
  /** Messages held for one peer (default PEER_QUEUE_MSGS_MAX). */
  readonly queueMsgsMax?: number;
  /**
   * Multi-region links: the batch protocol version said in Hello; nothing more is sent on a
   * connection until the peer answers with the same version (peer_handshake.ts).
   */
  readonly batchVersion?: number;
  /** How long that answer may take (default MULTI_PEER_HANDSHAKE_MS). */
  readonly handshakeMs?: number;
  /**
   * Multi-region links: how this node runs its regions (region_mode.ts), said in Hello; a peer
   * that answers another mode is refused.
   */
  readonly regionMode?: () => number;
  /** Where `peer.lost`, `peer.back` and `snapshot.sent` lines go (docs/logging.md). */
  readonly logger?: Logger;
}

/** Event counts for metrics, shared by every peer link. */
export class TransportCounters {
  /**
   * Messages dropped because a peer's queue was full: its connection is down
   * or its socket is not draining (a slow peer that stays connected).
   */
  droppedQueueFull = 0;
  /** Messages queued toward a peer whose connection failed before they were written. */
  droppedConnectionLost = 0;
  /** Messages to an id with no known address. */
  droppedUnknownPeer = 0;
  /** Snapshots fully handed to a peer's socket. */
  snapshotsSent = 0;
  /** Snapshots that could not be sent (a chunk dropped, connection lost, stream error). */
  snapshotsFailed = 0;
  /** Region snapshots not streamed: replaced by a newer one, or no longer wanted by their turn. */
  snapshotsSkipped = 0;
}
