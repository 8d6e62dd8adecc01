/**
 * One peer's outgoing link: a lazily opened connection introduced with Hello,
 * re-opened with backoff after a failure, and a bounded queue in front of it.
 *
 * The bound covers everything waiting for that peer: messages held here and
 * bytes its socket has not handed to the kernel yet. After a socket write
 * returns false the link holds further messages until the socket's `onDrain`,
 * so a slow peer that stays connected cannot grow an unbounded socket buffer;
 * past the bound messages are dropped, counted and the peer is reported
 * unreachable (Raft retransmits what matters: docs/limits.md).
 */
import { PEER_QUEUE_BYTES_MAX, PEER_QUEUE_MSGS_MAX } from "../../limits.ts";
import { MULTI_PEER_HANDSHAKE_MS } from "../../limits_ops.ts";
import type { Conn, TimerId } from "../../platform/types.ts";
import { concatBytes } from "../../util/bytes.ts";
import { splitHostPort } from "../../util/host_port.ts";
import { encodeWireFrame } from "../../wire/frame_codec.ts";
import type { PeerTransportOptions, TransportCounters } from "./peer_options.ts";
import { BatchHandshake, handshakeTimeoutError } from "./peer_handshake.ts";
import { RegionModeError } from "./region_mode.ts";

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;

export class PeerLink {
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Messages in the queue (a message may be several frame parts). */
  #queuedMsgs = 0;
  #conn: Conn | undefined;
  /** The socket's last write returned false and `onDrain` has not fired since. */
  #blocked = false;
  #connecting = false;
  #backoffMs = RECONNECT_MIN_MS;
  #retryAt = 0;
  /** Whole snapshots (their last frame) in the queue, so their fate can be reported. */
  #snapshotsQueued = 0;
  #closed = false;
  #flushScheduled = false;
  #retryTimer: TimerId | undefined;
  /** Bumped when the connection is lost: a snapshot stream in progress must stop. */
  #generation = 0;
  /** The link is connected; `peer.lost` and `peer.back` are logged when it changes. */
  #up = false;
  /** A refusal for the peers' region modes was logged since the link was last up. */
  #modeRefused = false;
  /** When the link went down (monotonic ms), while it is down. */
  #downSinceMs: number | undefined;
  /** Batch links: the Hello's answer is awaited; nothing else is written until it comes. */
  #handshake: BatchHandshake | undefined;
  #handshakeTimer: TimerId | undefined;
  /** A snapshot stream is being sent (one at a time per peer). */
  streaming = false;
  readonly bytesMax: number;
  readonly msgsMax: number;

  constructor(
    readonly id: number,
    public address: string,
    readonly o: PeerTransportOptions,
    readonly counters: TransportCounters,
  ) {
    this.bytesMax = o.queueBytesMax ?? PEER_QUEUE_BYTES_MAX;
    this.msgsMax = o.queueMsgsMax ?? PEER_QUEUE_MSGS_MAX;
  }

  /** Bytes waiting for this peer: held here plus not yet taken by its socket. */
  get pendingBytes(): number {
    return this.#queuedBytes + (this.#conn?.queuedBytes() ?? 0);
  }

  /** Changes each time the connection is lost. */
  get generation(): number {
    return this.#generation;
  }

  get closed(): boolean {
    return this.#closed;
  }

  snapshotStatus(ok: boolean): void {
    if (ok) this.counters.snapshotsSent++;
    else this.counters.snapshotsFailed++;
    this.o.onSnapshotStatus?.(this.id, ok);
  }

  /**
   * Queues the frames of one message; false when the queue is full and the
   * message was dropped (counted; the peer reported unreachable). `snapshotEnd`:
   * the message ends a snapshot, reported sent once it is handed to the socket.
   */
  enqueue(frames: readonly Uint8Array[], snapshotEnd: boolean, msgs = 1): boolean {
    let bytes = 0;
    for (const f of frames) bytes += f.length;
    if (this.#queuedMsgs + msgs > this.msgsMax || this.pendingBytes + bytes > this.bytesMax) {
      this.counters.droppedQueueFull += msgs;
      this.o.onUnreachable?.(this.id);
      return false;
    }
    for (const f of frames) this.#queue.push(f);
    this.#queuedBytes += bytes;
    this.#queuedMsgs += msgs;
    if (snapshotEnd) this.#snapshotsQueued++;
    this.#scheduleFlush();
    return true;
  }

  /** What is queued goes to the socket now (the turn's scheduled flush then finds nothing). */
  flushNow(): void {
    if (this.#queue.length > 0) this.#flush();
  }

  /** One flush per turn of the event loop, however many messages were queued. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#closed || this.#queue.length === 0) return;
    const conn = this.#conn;
    if (conn === undefined) return void this.#connect();
    if (this.#blocked || this.#handshake !== undefined) return; // held until onDrain or the answer
    const batch = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#queuedMsgs = 0;
    this.#write(conn, batch.length === 1 ? batch[0] : concatBytes(batch));
    for (; this.#snapshotsQueued > 0; this.#snapshotsQueued--) this.snapshotStatus(true);
  }

  #write(conn: Conn, bytes: Uint8Array): void {
    if (!conn.write(bytes)) this.#blocked = true;
  }

  #drained(conn: Conn): void {
    if (this.#conn !== conn) return;
    this.#blocked = false;
    this.#flush();
  }

  #connect(): void {
    if (this.#connecting || this.#retryTimer !== undefined) return;
    const wait = this.#retryAt - this.o.clock.nowMs();
    if (wait > 0) {
      // In backoff: try again when it ends (messages keep queueing, bounded).
      this.#retryTimer = this.o.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#flush();
      }, wait);
      return;
    }
    this.#connecting = true;
    const { host, port } = splitHostPort(this.address);
    this.o.net.connect(host, port).then((conn) => {
      this.#connecting = false;
      if (this.#closed) return conn.close();
      this.#conn = conn;
      this.#blocked = false;
      // A batch link is up once its Hello is answered: a peer that refuses it (another
      // protocol, another region mode) keeps the backoff growing and is logged once.
      if (this.o.batchVersion === undefined) this.#linkUp();
      conn.setHandlers({
        onData: (chunk) => this.#answer(conn, chunk),
        onDrain: () => this.#drained(conn),
        onClose: () => this.#lost(conn),
      });
      const hello = {
        nodeId: BigInt(this.o.selfId),
        clusterToken: this.o.clusterToken ?? "",
        address: this.o.selfAddress ?? "",
        batchVersion: this.o.batchVersion ?? 0,
        regionMode: this.o.regionMode?.() ?? 0,
      };
      this.#write(conn, encodeWireFrame({ case: "hello", value: hello }));
      if (this.o.batchVersion !== undefined) this.#awaitAnswer(conn, this.o.batchVersion);
      this.#flush();
    }, (err) => {
      this.#connecting = false;
      this.#failed(err);
    });
  }

  #awaitAnswer(conn: Conn, version: number): void {
    const mode = this.o.regionMode?.();
    const self = mode === undefined ? undefined : { id: this.o.selfId, mode };
    this.#handshake = new BatchHandshake(version, this.id, self);
    const ms = this.o.handshakeMs ?? MULTI_PEER_HANDSHAKE_MS;
    this.#handshakeTimer = this.o.clock.setTimeout(() => {
      this.#handshakeTimer = undefined;
      this.#refused(conn, handshakeTimeoutError(this.id, ms));
    }, ms);
  }

  /** Bytes from the peer: only the answer to a batch Hello is expected. */
  #answer(conn: Conn, chunk: Uint8Array): void {
    const verdict = this.#conn === conn ? this.#handshake?.onData(chunk) : undefined;
    if (verdict === undefined) return;
    this.#endHandshake();
    if (verdict !== true) return this.#refused(conn, verdict);
    this.#linkUp();
    this.#flush();
  }

  /** The peer does not take batches: the link fails with the reason, and retries later. */
  #refused(conn: Conn, why: Error): void {
    this.#lost(conn, why);
    conn.close();
  }

  #endHandshake(): void {
    this.#handshake = undefined;
    if (this.#handshakeTimer !== undefined) this.o.clock.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }

  #lost(conn: Conn, why: unknown = "connection closed"): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    this.#blocked = false;
    this.#endHandshake();
    this.#failed(why);
  }

  #linkUp(): void {
    this.#backoffMs = RECONNECT_MIN_MS;
    this.#modeRefused = false;
    if (this.#downSinceMs !== undefined) {
      const downMs = Math.round(this.o.clock.nowMs() - this.#downSinceMs);
      this.o.logger?.info("peer.back", { peer: this.id, address: this.address, down_ms: downMs });
    }
    this.#up = true;
    this.#downSinceMs = undefined;
  }

  /**
   * Logs the first failure after the link was up (or of a link never up), not each retry; and
   * the first refusal for the peers' region modes as an error, even on a link already down.
   */
  #linkDown(why: unknown): void {
    const error = why instanceof Error ? why.message : String(why);
    const fields = { peer: this.id, address: this.address, error };
    if (why instanceof RegionModeError && !this.#modeRefused) {
      this.#modeRefused = true;
      this.o.logger?.error("peer.refused", fields);
    }
    if (!this.#up && this.#downSinceMs !== undefined) return;
    this.#up = false;
    this.#downSinceMs = this.o.clock.nowMs();
    if (!(why instanceof RegionModeError)) this.o.logger?.warn("peer.lost", fields);
  }

  /** Drops what was queued (Raft will resend) and retries later. */
  #failed(why: unknown): void {
    if (this.#closed) return;
    this.#linkDown(why);
    this.#generation++;
    for (; this.#snapshotsQueued > 0; this.#snapshotsQueued--) this.snapshotStatus(false);
    this.counters.droppedConnectionLost += this.#queuedMsgs;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#queuedMsgs = 0;
    this.#retryAt = this.o.clock.nowMs() + this.#backoffMs;
    this.#backoffMs = Math.min(RECONNECT_MAX_MS, this.#backoffMs * 2);
    this.o.onUnreachable?.(this.id);
  }

  close(): void {
    this.#closed = true;
    this.#endHandshake();
    if (this.#retryTimer !== undefined) this.o.clock.clearTimeout(this.#retryTimer);
    this.#conn?.close();
  }
}
