/**
 * Raft messages to peers over TCP (implements raft/transport.ts). One
 * outgoing connection per peer, opened lazily, introduced with Hello (node id
 * and cluster token), re-opened with backoff after a failure. Each peer has a
 * bounded queue: when it is full, messages are dropped and the peer reported
 * unreachable — Raft retransmits what matters. Snapshots go out in chunks.
 */
import { entryDataBytes, raftFrameParts, ZERO_COPY_ENTRY_BYTES } from "../../wire/raft_frames.ts";
import { create } from "@bufbuild/protobuf";
import { type RaftMessage, RaftMessageSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { PEER_QUEUE_BYTES_MAX, PEER_QUEUE_MSGS_MAX, SNAPSHOT_CHUNK_BYTES } from "../../limits.ts";
import type { Clock, Conn, Net, TimerId } from "../../platform/types.ts";
import { type Message, MessageType } from "../../raft/core/messages.ts";
import type { Transport } from "../../raft/transport.ts";
import { concatBytes } from "../../util/bytes.ts";
import { splitHostPort } from "../../util/host_port.ts";
import { encodeWireFrame } from "../../wire/frame_codec.ts";
import { raftMessageToWire } from "../../wire/raft_codec.ts";

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
}

/** Bytes of snapshot queued toward a peer before the sender waits for the socket. */
const SNAPSHOT_QUEUE_BYTES = 32 * 1024 * 1024;

/** Event counts for metrics, shared by every peer link. */
export class TransportCounters {
  /** Messages dropped because a peer's queue was full. */
  droppedQueueFull = 0;
  /** Messages queued toward a peer whose connection failed before they were written. */
  droppedConnectionLost = 0;
  /** Messages to an id with no known address. */
  droppedUnknownPeer = 0;
  /** Snapshots fully handed to a peer's socket. */
  snapshotsSent = 0;
  /** Snapshots that could not be sent (queue full, connection lost, stream error). */
  snapshotsFailed = 0;
}

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;

class PeerLink {
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #conn: Conn | undefined;
  #connecting = false;
  #backoffMs = RECONNECT_MIN_MS;
  #retryAt = 0;
  /** Snapshot frames in the queue, so their fate can be reported. */
  #snapshotsQueued = 0;
  #closed = false;
  #flushScheduled = false;
  #retryTimer: TimerId | undefined;
  /** Bumped when the connection is lost: a snapshot stream in progress must restart. */
  #generation = 0;
  #streaming = false;

  constructor(
    readonly id: number,
    public address: string,
    readonly o: PeerTransportOptions,
    readonly counters: TransportCounters,
  ) {}

  #snapshotStatus(ok: boolean): void {
    if (ok) this.counters.snapshotsSent++;
    else this.counters.snapshotsFailed++;
    this.o.onSnapshotStatus?.(this.id, ok);
  }

  enqueue(frames: Uint8Array[], isSnapshot: boolean): void {
    const bytes = frames.reduce((n, f) => n + f.length, 0);
    if (
      this.#queue.length + frames.length > PEER_QUEUE_MSGS_MAX ||
      this.#queuedBytes + bytes > PEER_QUEUE_BYTES_MAX
    ) {
      this.counters.droppedQueueFull += frames.length;
      if (isSnapshot) this.#snapshotStatus(false);
      this.o.onUnreachable?.(this.id);
      return;
    }
    this.#queue.push(...frames);
    this.#queuedBytes += bytes;
    if (isSnapshot) this.#snapshotsQueued++;
    this.#scheduleFlush();
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
    const batch = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    conn.write(batch.length === 1 ? batch[0] : concatBytes(batch));
    for (; this.#snapshotsQueued > 0; this.#snapshotsQueued--) {
      this.#snapshotStatus(true);
    }
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
      this.#backoffMs = RECONNECT_MIN_MS;
      conn.setHandlers({ onData: () => {}, onClose: () => this.#lost(conn) });
      const hello = {
        nodeId: BigInt(this.o.selfId),
        clusterToken: this.o.clusterToken ?? "",
        address: this.o.selfAddress ?? "",
      };
      conn.write(encodeWireFrame({ case: "hello", value: hello }));
      this.#flush();
    }, () => {
      this.#connecting = false;
      this.#failed();
    });
  }

  #lost(conn: Conn): void {
    if (this.#conn === conn) this.#conn = undefined;
    this.#failed();
  }

  /** Drops what was queued (Raft will resend) and retries later. */
  #failed(): void {
    if (this.#closed) return;
    this.#generation++;
    for (; this.#snapshotsQueued > 0; this.#snapshotsQueued--) this.#snapshotStatus(false);
    this.counters.droppedConnectionLost += this.#queue.length;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#retryAt = this.o.clock.nowMs() + this.#backoffMs;
    this.#backoffMs = Math.min(RECONNECT_MAX_MS, this.#backoffMs * 2);
    this.o.onUnreachable?.(this.id);
  }

  /**
   * Streams a snapshot: the Snap message's metadata, then the state machine's
   * stream in chunks, holding one chunk back so the last can say `done`.
   * Waits for the socket when too much is queued; gives up if the connection
   * drops (Raft retries the snapshot after the failure report).
   */
  async streamSnapshot(m: Message, source: () => AsyncIterable<Uint8Array>): Promise<void> {
    if (this.#streaming) return this.#snapshotStatus(false);
    this.#streaming = true;
    const generation = this.#generation;
    const head = raftMessageToWire(m);
    let offset = 0;
    let held: Uint8Array | undefined;
    const emit = async (chunk: Uint8Array, done: boolean) => {
      await this.#waitForRoom(generation);
      this.enqueue([snapshotFrame(head, chunk, offset, done)], done);
      offset += chunk.length;
    };
    try {
      for await (const piece of source()) {
        for (let at = 0; at < piece.length; at += SNAPSHOT_CHUNK_BYTES) {
          if (held !== undefined) await emit(held, false);
          held = piece.subarray(at, at + SNAPSHOT_CHUNK_BYTES);
        }
      }
      await emit(held ?? new Uint8Array(0), true);
    } catch {
      this.#snapshotStatus(false);
    } finally {
      this.#streaming = false;
    }
  }

  async #waitForRoom(generation: number): Promise<void> {
    for (;;) {
      if (this.#closed || generation !== this.#generation) throw new Error("connection lost");
      const queued = this.#queuedBytes + (this.#conn?.queuedBytes() ?? 0);
      if (queued < SNAPSHOT_QUEUE_BYTES) return;
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, 5));
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer !== undefined) this.o.clock.clearTimeout(this.#retryTimer);
    this.#conn?.close();
  }
}

/** One frame of a streamed snapshot: the metadata message first, then bare chunks. */
function snapshotFrame(head: RaftMessage, chunk: Uint8Array, offset: number, done: boolean) {
  const part = offset === 0
    ? create(RaftMessageSchema, head)
    : create(RaftMessageSchema, { type: head.type, from: head.from, to: head.to, term: head.term });
  part.snapshotChunk = chunk;
  part.snapshotOffset = BigInt(offset);
  part.snapshotDone = done;
  return encodeWireFrame({ case: "raft", value: part });
}

/** The frames of one message: one, or a chunk sequence for a snapshot. */
export function messageFrames(m: Message): Uint8Array[] {
  if ((m.type === MessageType.App || m.type === MessageType.Prop) && m.entries.length > 0) {
    if (entryDataBytes(m) >= ZERO_COPY_ENTRY_BYTES) return raftFrameParts(m);
  }
  const wire = raftMessageToWire(m);
  if (m.type !== MessageType.Snap) return [encodeWireFrame({ case: "raft", value: wire })];
  const data = m.snapshot.data;
  const frames: Uint8Array[] = [];
  let offset = 0;
  do {
    const chunk = data.subarray(offset, offset + SNAPSHOT_CHUNK_BYTES);
    const part = offset === 0 ? wire : create(RaftMessageSchema, {
      type: wire.type,
      from: wire.from,
      to: wire.to,
      term: wire.term,
    });
    part.snapshotChunk = chunk;
    part.snapshotOffset = BigInt(offset);
    offset += chunk.length;
    part.snapshotDone = offset >= data.length;
    frames.push(encodeWireFrame({ case: "raft", value: part }));
  } while (offset < data.length);
  return frames;
}

export class PeerTransport implements Transport {
  readonly #links = new Map<number, PeerLink>();
  readonly counters = new TransportCounters();

  constructor(readonly o: PeerTransportOptions) {}

  /** Sets the peers' addresses (membership changes add and remove peers). */
  setPeers(addresses: ReadonlyMap<number, string>): void {
    for (const [id, link] of this.#links) {
      if (!addresses.has(id)) {
        link.close();
        this.#links.delete(id);
      }
    }
    for (const [id, address] of addresses) {
      if (id === this.o.selfId) continue;
      const link = this.#links.get(id);
      if (link === undefined) this.#links.set(id, new PeerLink(id, address, this.o, this.counters));
      else link.address = address;
    }
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const link = this.#links.get(m.to);
      if (link === undefined) {
        this.counters.droppedUnknownPeer++;
        this.o.onUnreachable?.(m.to);
        continue;
      }
      const source = this.o.snapshotSource;
      if (m.type === MessageType.Snap && source !== undefined) void link.streamSnapshot(m, source);
      else link.enqueue(messageFrames(m), m.type === MessageType.Snap);
    }
  }

  close(): void {
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
