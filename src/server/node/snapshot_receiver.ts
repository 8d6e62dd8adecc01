/**
 * Receives a state machine snapshot streamed by the leader (Snap messages
 * carrying chunks of the kv snapshot stream), importing it into a staging
 * engine as it arrives, so memory stays bounded by one chunk. When the last
 * chunk has been verified, the caller swaps the staging engine in and only
 * then hands the Snap message to Raft (docs/design.md §2: the state machine is at or
 * past the snapshot index before Raft records the snapshot).
 *
 * A bad chunk (a gap, another peer's or another term's chunk, a corrupt or
 * oversized stream) breaks the stream off: that is reported once, and the
 * rest of the broken stream is dropped quietly — it can never complete. Only
 * a new stream (offset 0) starts over; the leader sends one after the sender
 * reports its failure.
 *
 * A stream that has not started importing when a newer one has already
 * arrived behind it is skipped whole (superseded): a leader that sends a new
 * snapshot after every rejected probe can queue them faster than a slow disk
 * imports them, and importing each stale one in turn kept a follower behind
 * for good (whole-node simulation, slow disks). A stream that has started
 * always finishes, so the newest one is always imported.
 */
import { type Logger, SILENT_LOGGER } from "../log/logger.ts";
import type { RaftMessage } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { SnapshotImporter } from "../../kv/kv_snapshot.ts";
import { SNAPSHOT_BYTES_MAX } from "../../limits.ts";
import type { Clock, FileSystem } from "../../platform/types.ts";
import { Db } from "../../storage/db.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { WireError } from "../../wire/frame_codec.ts";
import { removeTree } from "../../platform/fs_tree.ts";

interface Incoming {
  readonly from: number;
  readonly first: RaftMessage;
  readonly db: Db;
  readonly importer: SnapshotImporter;
  received: number;
  readonly startedMs: number;
}

export class SnapshotReceiver {
  #incoming: Incoming | undefined;
  /** Chunks are imported one at a time, in arrival order. */
  #chain: Promise<void> = Promise.resolve();
  /** The peer whose stream was broken off; its later chunks are dropped until offset 0. */
  #brokenFrom: number | undefined;
  /** Streams whose first chunk has arrived (not yet necessarily processed). */
  #streamsArrived = 0;
  /** The stream (by arrival number) whose chunks are being skipped as superseded. */
  #supersededStream: number | undefined;
  /**
   * Snapshots fully received and imported; streams abandoned as bad; streams
   * skipped because a newer one had arrived before they started (for metrics).
   */
  readonly counts = { received: 0, failed: 0, superseded: 0 };

  constructor(
    readonly fs: FileSystem,
    readonly stagingDir: string,
    readonly clock: Clock,
    readonly logger: Logger = SILENT_LOGGER,
    readonly bytesMax = SNAPSHOT_BYTES_MAX,
  ) {}

  /**
   * Queues one chunk. `onComplete` runs (after every earlier chunk) with the
   * first message once the whole stream is imported, flushed and closed in
   * `stagingDir`; `onError` runs if the stream is bad.
   */
  add(
    from: number,
    m: RaftMessage,
    onComplete: (first: RaftMessage) => Promise<void>,
    onError: (err: unknown) => void,
  ): void {
    if (m.snapshotOffset === 0n) this.#streamsArrived++;
    const stream = this.#streamsArrived;
    this.#chain = this.#chain.then(() => {
      if (this.#superseded(stream, m)) return;
      return this.#add(from, m, onComplete);
    }).catch(async (err) => {
      this.counts.failed++;
      this.logger.warn("snapshot.refused", { from, error: String(err) });
      await this.#abandon();
      this.#brokenFrom = from;
      onError(err);
    });
  }

  async #add(from: number, m: RaftMessage, onComplete: (first: RaftMessage) => Promise<void>) {
    const offset = u64ToNumber(m.snapshotOffset, "snapshot offset");
    if (offset === 0) {
      this.#brokenFrom = undefined;
      await this.#start(from, m);
    } else if (this.#incoming === undefined && this.#brokenFrom === from) {
      return; // the rest of a stream already broken off and reported
    }
    const inc = this.#incoming;
    if (inc === undefined || inc.from !== from || offset !== inc.received) {
      throw new WireError(`snapshot chunk at ${offset} from ${from} out of order`);
    }
    if (m.term !== inc.first.term) {
      // Same offset, another stream: the newer stream's first chunk was lost.
      throw new WireError(
        `snapshot chunk from term ${m.term} in a stream from term ${inc.first.term}`,
      );
    }
    inc.received += m.snapshotChunk.length;
    if (inc.received > this.bytesMax) {
      throw new WireError(`snapshot exceeds the ${this.bytesMax}-byte limit`);
    }
    await inc.importer.push(m.snapshotChunk);
    if (!m.snapshotDone) return;
    await inc.importer.finish();
    await inc.db.close();
    this.#incoming = undefined;
    await onComplete(inc.first);
    this.counts.received++;
    this.logger.info("snapshot.installed", {
      from,
      index: inc.first.snapshot?.index === undefined ? undefined : Number(inc.first.snapshot.index),
      bytes: inc.received,
      ms: Math.round(this.clock.nowMs() - inc.startedMs),
    });
  }

  /** Whether `m`, a chunk of stream number `stream`, belongs to a stream that is skipped. */
  #superseded(stream: number, m: RaftMessage): boolean {
    if (m.snapshotOffset === 0n && stream < this.#streamsArrived) {
      this.#supersededStream = stream;
      this.counts.superseded++;
      return true;
    }
    return stream === this.#supersededStream;
  }

  async #start(from: number, first: RaftMessage): Promise<void> {
    await this.#abandon();
    removeTree(this.fs, this.stagingDir);
    this.fs.mkdir(this.stagingDir);
    const db = await Db.open(this.fs, this.stagingDir, { wal: false, clock: this.clock });
    const importer = new SnapshotImporter(db, `snapshot from node ${from}`);
    this.#incoming = { from, first, db, importer, received: 0, startedMs: this.clock.nowMs() };
  }

  /** Drops a partial snapshot. */
  async #abandon(): Promise<void> {
    const inc = this.#incoming;
    this.#incoming = undefined;
    if (inc === undefined) return;
    await inc.db.close().catch(() => {});
    removeTree(this.fs, this.stagingDir);
  }

  /** Waits for queued chunks, then drops any partial snapshot. */
  async close(): Promise<void> {
    await this.#chain;
    await this.#abandon();
  }
}
