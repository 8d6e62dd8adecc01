/**
 * Reassembles the streamed snapshots of regions (docs/formats.md, "Peer
 * batches"): each stream is keyed by (sender, region), so snapshots of
 * several regions can be in flight at once, interleaved with every other
 * frame. A stream's declared size is checked before anything is kept; a gap,
 * a chunk of another term, or a size past the limits breaks the stream off
 * (counted; its later chunks are dropped until a new stream starts at offset
 * 0). A broken stream never closes the connection: the other regions' traffic
 * goes on, and the leader sends a fresh snapshot.
 */
import type { RaftMessage } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { MULTI_SNAPSHOT_BYTES_MAX, MULTI_SNAPSHOT_STREAMS_MAX } from "../../limits_ops.ts";
import type { Message } from "../../raft/core/messages.ts";
import { concatBytes } from "../../util/bytes.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { raftMessageFromWire } from "../../wire/raft_codec.ts";

interface Stream {
  readonly first: RaftMessage;
  readonly total: number;
  /** Exported as it was sent: its declared size is the marker's, the limit bounds it. */
  readonly unsized: boolean;
  readonly chunks: Uint8Array[];
  received: number;
}

export interface AssemblerLimits {
  /** Bytes of one image, and of every stream in progress together. */
  readonly bytesMax?: number;
  readonly streamsMax?: number;
  /**
   * Regions whose images the sender exports as it streams them (a node's region images,
   * server/node/region_snapshots.ts): the stream declares the Raft snapshot's marker size, not
   * the image's, so only `bytesMax` bounds it.
   */
  readonly unsized?: (region: number) => boolean;
}

export class RegionSnapshotAssembler {
  readonly #streams = new Map<string, Stream>();
  #bytes = 0;
  readonly #bytesMax: number;
  readonly #streamsMax: number;
  /** Snapshots assembled; streams broken off (with why, the last one); chunks dropped. */
  readonly counts = { received: 0, refused: 0, chunksDropped: 0 };
  lastRefusal = "";

  constructor(limits: AssemblerLimits = {}) {
    this.#bytesMax = limits.bytesMax ?? MULTI_SNAPSHOT_BYTES_MAX;
    this.#streamsMax = limits.streamsMax ?? MULTI_SNAPSHOT_STREAMS_MAX;
    this.#unsized = limits.unsized ?? (() => false);
  }

  readonly #unsized: (region: number) => boolean;

  /** Streams in progress. */
  get streams(): number {
    return this.#streams.size;
  }

  /** Takes one chunk; returns the Snap message once its stream is complete. */
  chunk(from: number, region: number, w: RaftMessage): Message | undefined {
    const key = `${from}/${region}`;
    const offset = u64ToNumber(w.snapshotOffset, "snapshot offset");
    if (offset === 0) this.#start(key, region, w);
    const s = this.#streams.get(key);
    if (s === undefined) {
      this.counts.chunksDropped++;
      return undefined;
    }
    const chunk = w.snapshotChunk;
    if (offset !== s.received) {
      return this.#refuse(key, `chunk at ${offset}, expected ${s.received}`);
    }
    if (w.term !== s.first.term) return this.#refuse(key, `chunk of term ${w.term}`);
    if (s.received + chunk.length > s.total) {
      return this.#refuse(key, `more than the declared ${s.total} bytes`);
    }
    if (this.#bytes + chunk.length > this.#bytesMax) {
      return this.#refuse(key, `streams in progress exceed ${this.#bytesMax} bytes`);
    }
    s.chunks.push(chunk.slice()); // the frame's buffer is reused by the decoder
    s.received += chunk.length;
    this.#bytes += chunk.length;
    if (!w.snapshotDone) return undefined;
    this.#drop(key);
    if (!s.unsized && s.received !== s.total) {
      return this.#refuse(key, `ends at ${s.received} of ${s.total}`);
    }
    this.counts.received++;
    return raftMessageFromWire(s.first, from, concatBytes(s.chunks));
  }

  #start(key: string, region: number, first: RaftMessage): void {
    this.#drop(key);
    const unsized = this.#unsized(region);
    const total = unsized ? this.#bytesMax : u64ToNumber(first.snapshotBytes, "snapshot bytes");
    if (first.snapshot === undefined) return void this.#refuse(key, "first chunk without metadata");
    if (total > this.#bytesMax) {
      return void this.#refuse(key, `${total} bytes exceed the ${this.#bytesMax}-byte limit`);
    }
    if (this.#streams.size >= this.#streamsMax) {
      const oldest = this.#streams.keys().next().value;
      if (oldest !== undefined) this.#refuse(oldest, "superseded: too many streams at once");
    }
    this.#streams.set(key, { first, total, unsized, chunks: [], received: 0 });
  }

  #refuse(key: string, why: string): undefined {
    this.#drop(key);
    this.counts.refused++;
    this.lastRefusal = `snapshot stream ${key}: ${why}`;
    return undefined;
  }

  #drop(key: string): void {
    const s = this.#streams.get(key);
    if (s === undefined) return;
    this.#bytes -= s.received;
    this.#streams.delete(key);
  }
}
