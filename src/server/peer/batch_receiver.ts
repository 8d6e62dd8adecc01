/**
 * The receiving side of the multi-region peer protocol: batch frames from the
 * protobuf port's authenticated peer connections (PeerSink.onRaftFrame)
 * decoded into NodeBatches for the multi-region driver. The frames that
 * arrive from one peer node in one turn of the event loop (every socket read
 * of that turn) become one batch, so the driver's inbox counts batches per
 * read, not per message; a second beat in the same turn starts a new batch.
 * Region snapshots are reassembled (region_snapshot_assembler.ts) and
 * delivered as a Snap message in the batch of the turn their last chunk
 * arrived.
 */
import type { RaftMessage } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Logger } from "../log/logger.ts";
import type { LivenessBeat, NodeBatch, RegionMessage } from "../../raft/multi/transport.ts";
import { decodePeerBatchFrame, isPeerBatchFrame, PEER_BATCH_VERSION } from "./peer_batch_codec.ts";
import type { PeerSink } from "../proto/kv_port.ts";
import { WireError } from "../../wire/frame_codec.ts";
import { type AssemblerLimits, RegionSnapshotAssembler } from "./region_snapshot_assembler.ts";

export interface BatchReceiverOptions extends AssemblerLimits {
  readonly selfId: number;
  /** Gets every batch; the driver's `receive` (and a kick) in a node. */
  readonly deliver: (batch: NodeBatch) => void;
  /**
   * Takes a region's snapshot chunk before the in-memory assembler does
   * (true: taken). The server node streams region 1's into a staging engine.
   */
  readonly snapshotChunk?: (from: number, region: number, wire: RaftMessage) => boolean;
  /** Where `snapshot.refused` lines go. */
  readonly logger?: Logger;
  /** How this node runs its regions (region_mode.ts), answered to a peer's Hello. */
  readonly regionMode?: () => number;
}

interface Pending {
  messages: RegionMessage[];
  beat?: LivenessBeat;
}

export class NodeBatchReceiver {
  readonly #pending = new Map<number, Pending>();
  #flushScheduled = false;
  readonly snapshots: RegionSnapshotAssembler;
  /** Batches delivered, region messages and beats in them. */
  readonly counts = { batches: 0, messages: 0, beats: 0 };

  constructor(readonly o: BatchReceiverOptions) {
    this.snapshots = new RegionSnapshotAssembler(o);
  }

  /**
   * Takes a frame from authenticated peer `from` when it is a batch frame
   * (false: not one, the port handles it). Malformed bytes throw WireError or
   * DecodeError: the port answers with the error and closes the connection.
   */
  onFrame(from: number, payload: Uint8Array): boolean {
    if (!isPeerBatchFrame(payload)) return false;
    const f = decodePeerBatchFrame(payload, from);
    if (f.kind === "message") {
      this.#batch(from).messages.push({ region: f.region, message: f.message });
    } else if (f.kind === "beat") {
      if (this.#pending.get(from)?.beat !== undefined) this.#deliver(from);
      this.#batch(from).beat = f.beat;
    } else if (this.o.snapshotChunk?.(from, f.region, f.wire) !== true) {
      const refused = this.snapshots.counts.refused;
      const message = this.snapshots.chunk(from, f.region, f.wire);
      if (message !== undefined) this.#batch(from).messages.push({ region: f.region, message });
      if (this.snapshots.counts.refused !== refused) {
        this.o.logger?.warn("snapshot.refused", { from, error: this.snapshots.lastRefusal });
      }
    }
    return true;
  }

  /**
   * The port's peer sink: batch frames here, the rest to `base` (a node that
   * also runs a single group). Without a base, a single-group Raft message is
   * refused (the connection is closed with the error).
   */
  sink(base?: PeerSink): PeerSink {
    return {
      onPeerHello: base?.onPeerHello?.bind(base),
      configuredAddress: base?.configuredAddress?.bind(base),
      onRaftMessage: base === undefined ? refuseSingleGroup : base.onRaftMessage.bind(base),
      onRaftFrame: (from, payload) =>
        this.onFrame(from, payload) || (base?.onRaftFrame?.(from, payload) ?? false),
      batchVersion: PEER_BATCH_VERSION,
      regionMode: this.o.regionMode,
      selfId: this.o.selfId,
    };
  }

  #batch(from: number): Pending {
    let p = this.#pending.get(from);
    if (p === undefined) {
      p = { messages: [] };
      this.#pending.set(from, p);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return p;
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const from of [...this.#pending.keys()]) this.#deliver(from);
  }

  #deliver(from: number): void {
    const p = this.#pending.get(from);
    if (p === undefined) return;
    this.#pending.delete(from);
    this.counts.batches++;
    this.counts.messages += p.messages.length;
    if (p.beat !== undefined) this.counts.beats++;
    const batch: NodeBatch = p.beat === undefined
      ? { from, to: this.o.selfId, messages: p.messages }
      : { from, to: this.o.selfId, messages: p.messages, beat: p.beat };
    this.o.deliver(batch);
  }
}

function refuseSingleGroup(from: number): void {
  throw new WireError(`a single-group Raft message from ${from} to a multi-region node`);
}
