/**
 * The multi-region driver's transport over the peer port (implements
 * raft/multi/transport.ts; docs/formats.md "Peer batches"). One link per peer
 * node, shared by every region (peer_link.ts: lazy connection, Hello, backoff,
 * the bounded queue and its drop rules), introduced with the batch protocol
 * version and silent until the peer accepts it. A NodeBatch goes out as its
 * beat and its region messages' frames in one queue entry (one socket write);
 * a batch that does not fit the peer's queue is dropped whole, counted, and
 * the peer reported unreachable — Raft retransmits.
 *
 * Region snapshots stream in small chunks (MULTI_SNAPSHOT_CHUNK_BYTES), one
 * stream per peer at a time (others wait their turn, bounded), and a chunk is
 * queued only while little is waiting toward the peer
 * (MULTI_SNAPSHOT_WINDOW_BYTES): other regions' heartbeats and appends
 * interleave with the stream instead of waiting behind the whole image.
 *
 * A queued snapshot may be stale by its turn: streams take seconds each, and meanwhile the region
 * may have changed leader (and back: a new term makes a new Snap) or dropped the peer. So a newer
 * Snap of a region replaces the one waiting for it, and a stream starts only if `snapshotWanted`
 * still says so (the region led here in the Snap's term, its progress toward the peer awaiting a
 * snapshot). Before, the 1M-key e2e streamed 2.8 GB of images for 14 moves of about 35 MB: the
 * same region's image up to ten times to one node, some after the peer had left the region.
 */
import {
  MULTI_PEER_QUEUE_MSGS_MAX,
  MULTI_SNAPSHOT_CHUNK_BYTES,
  MULTI_SNAPSHOT_WINDOW_BYTES,
  MULTI_SNAPSHOTS_QUEUED_MAX,
} from "../../limits_ops.ts";
import { type Message, MessageType } from "../../raft/core/messages.ts";
import type { MultiTransport, NodeBatch } from "../../raft/multi/transport.ts";
import { encodeBeatFrame, PEER_BATCH_VERSION } from "./peer_batch_codec.ts";
import { encodeHotFrames, type HotMessage, isHot } from "../../wire/raft_hot_codec.ts";
import { entryDataBytes, ZERO_COPY_ENTRY_BYTES } from "../../wire/raft_frames.ts";
import { messageFrames } from "./peer_frames.ts";
import type { PeerLink } from "./peer_link.ts";
import { PeerLinks } from "./peer_links.ts";
import type { PeerTransportOptions, TransportCounters } from "./peer_options.ts";
import { streamSnapshot } from "./snapshot_sender.ts";

export interface MultiPeerTransportOptions
  extends Omit<PeerTransportOptions, "snapshotSource" | "onSnapshotStatus" | "batchVersion"> {
  /** A region's snapshot to node `to` was handed to the socket (ok) or lost (not ok). */
  readonly onSnapshotStatus?: (to: number, region: number, ok: boolean) => void;
  /** Snapshots waiting per peer (default MULTI_SNAPSHOTS_QUEUED_MAX). */
  readonly snapshotsQueuedMax?: number;
  readonly snapshotChunkBytes?: number;
  readonly snapshotWindowBytes?: number;
  /**
   * Where a region's image comes from, read in chunks as it streams (the
   * server node: the engine's export); without it (or when it answers
   * undefined) the Snap message's own data is the image.
   */
  readonly regionSnapshotSource?: (
    region: number,
    m: Message,
  ) => (() => AsyncIterable<Uint8Array>) | undefined;
  /** Whether a queued Snap is still wanted when its turn comes (absent: always). */
  readonly snapshotWanted?: (region: number, m: Message) => boolean;
}

interface QueuedSnapshot {
  readonly region: number;
  readonly m: Message;
  /** Resolved with the stream's outcome, reported by the link exactly once. */
  done?: (ok: boolean) => void;
}

export class MultiPeerTransport implements MultiTransport {
  readonly #links: PeerLinks;
  readonly counters: TransportCounters;
  /** Per peer: the snapshot streaming (first) and those waiting. */
  readonly #snapshots = new Map<number, QueuedSnapshot[]>();

  constructor(readonly o: MultiPeerTransportOptions) {
    this.#links = new PeerLinks({
      ...o,
      batchVersion: PEER_BATCH_VERSION,
      queueMsgsMax: o.queueMsgsMax ?? MULTI_PEER_QUEUE_MSGS_MAX,
      onSnapshotStatus: (id, ok) => this.#snapshots.get(id)?.[0]?.done?.(ok),
    });
    this.counters = this.#links.counters;
  }

  setPeers(addresses: ReadonlyMap<number, string>): void {
    this.#links.setPeers(addresses);
    for (const id of [...this.#snapshots.keys()]) {
      if (!addresses.has(id)) this.#snapshots.get(id)?.[0]?.done?.(false);
    }
  }

  pendingBytes(id: number): number {
    return this.#links.pendingBytes(id);
  }

  /** Where peer `id` is reached (its protobuf port), as the last `setPeers` said. */
  peerAddress(id: number): string | undefined {
    return this.#links.address(id);
  }

  /** Snapshots streaming or waiting toward `id`. */
  snapshotsQueued(id: number): number {
    return this.#snapshots.get(id)?.length ?? 0;
  }

  flushNow(): void {
    this.#links.flushNow();
  }

  send(batch: NodeBatch): void {
    const count = batch.messages.length + (batch.beat === undefined ? 0 : 1);
    const link = this.#links.get(batch.to, count);
    if (link === undefined) return;
    const frames: Uint8Array[] = [];
    let n = 0;
    if (batch.beat !== undefined) {
      frames.push(encodeBeatFrame(batch.beat));
      n++;
    }
    // Runs of small hot messages (heartbeats, appends, answers) share one buffer, in order.
    const hot = new HotRun(frames);
    for (const { region, message } of batch.messages) {
      if (message.type === MessageType.Snap) {
        this.#queueSnapshot(link, region, message);
        continue;
      }
      n++;
      if (hot.add(message, region)) continue;
      hot.end();
      for (const f of messageFrames(message, region)) frames.push(f);
    }
    hot.end();
    if (n > 0) link.enqueue(frames, false, n);
  }

  #queueSnapshot(link: PeerLink, region: number, m: Message): void {
    let q = this.#snapshots.get(link.id);
    if (q === undefined) {
      q = [];
      this.#snapshots.set(link.id, q);
    }
    // A Snap of the region already waiting (not streaming: q[0] is) is stale: this one replaces it.
    const waiting = q.findIndex((s, i) => i > 0 && s.region === region);
    if (waiting > 0) {
      q[waiting] = { region, m };
      this.counters.snapshotsSkipped++;
      return;
    }
    if (q.length >= (this.o.snapshotsQueuedMax ?? MULTI_SNAPSHOTS_QUEUED_MAX)) {
      this.counters.snapshotsFailed++;
      this.o.onSnapshotStatus?.(link.id, region, false);
      return;
    }
    q.push({ region, m });
    if (q.length === 1) void this.#pump(link, q);
  }

  /** Streams the peer's snapshots one after the other, each to its reported end. */
  async #pump(link: PeerLink, q: QueuedSnapshot[]): Promise<void> {
    const shape = {
      chunkBytes: this.o.snapshotChunkBytes ?? MULTI_SNAPSHOT_CHUNK_BYTES,
      windowBytes: this.o.snapshotWindowBytes ?? MULTI_SNAPSHOT_WINDOW_BYTES,
    };
    while (q.length > 0) {
      const s = q[0];
      const wanted = this.o.snapshotWanted?.(s.region, s.m) ?? true;
      let stream: Promise<void> | undefined;
      const ok = !wanted ? false : await new Promise<boolean>((resolve) => {
        s.done = resolve;
        if (link.closed) return resolve(false);
        const data = s.m.type === MessageType.Snap ? s.m.snapshot.data : new Uint8Array(0);
        const source = this.o.regionSnapshotSource?.(s.region, s.m) ?? oneChunk(data);
        stream = streamSnapshot(link, s.m, source, { ...shape, region: s.region });
      });
      // The status comes when the last chunk reaches the socket, which can be before the stream
      // returns (it may yield a timer turn after its last chunk); the next stream would then find
      // the link still streaming and fail at once (a CI run under load did).
      await stream;
      q.shift();
      // Not wanted: its region no longer waits for it (a report would only reset a newer one's).
      if (wanted) this.o.onSnapshotStatus?.(link.id, s.region, ok);
      else this.counters.snapshotsSkipped++;
    }
    this.#snapshots.delete(link.id);
  }

  close(): void {
    this.#links.close();
    for (const q of this.#snapshots.values()) q[0]?.done?.(false);
  }
}

/** A region's image is in memory (the state machine's `image`): one piece, cut by the sender. */
function oneChunk(data: Uint8Array): () => AsyncIterable<Uint8Array> {
  return async function* () {
    yield data;
  };
}

/** Consecutive hot messages of a batch, encoded together into one buffer when the run ends. */
class HotRun {
  #messages: HotMessage[] = [];
  #regions: number[] = [];
  constructor(readonly frames: Uint8Array[]) {}

  /** Takes `m` if it is a hot message without large entries (those go as zero-copy parts). */
  add(m: Message, region: number): boolean {
    if (!isHot(m)) return false;
    if (m.type === MessageType.App && entryDataBytes(m) >= ZERO_COPY_ENTRY_BYTES) return false;
    this.#messages.push(m);
    this.#regions.push(region);
    return true;
  }

  end(): void {
    if (this.#messages.length === 0) return;
    this.frames.push(encodeHotFrames(this.#messages, this.#regions));
    this.#messages = [];
    this.#regions = [];
  }
}
