/**
 * One direction of a simulated TCP connection: the sender's queue, the bytes
 * on the wire, and flow control. Bytes go on the wire only while the
 * receiver's window has room (bytes in flight plus bytes the receiver holds
 * unread stay within `windowBytes`); the rest wait in the queue and `write`
 * returns false. Each segment arrives after a random delay but never before
 * an earlier one (due = max(previous due, now + delay)), so bytes arrive in
 * order and exactly once. A segment that reaches a cut link waits there with
 * everything behind it, as TCP retransmits, until `heal` reschedules them or
 * the connection is reset.
 *
 * Bytes that fit the window are copied at once (the kernel took them). The
 * rest stay queued as a copy next to the caller's buffer, and the two are
 * compared when they go out: node:net keeps a reference to what it queues,
 * so a caller that reuses a buffer after `write()` corrupts its stream
 * there, and the simulator fails loudly instead of hiding it.
 */
import { assert } from "../../util/assert.ts";
import type { Prng } from "../../util/prng.ts";
import { Fifo } from "./fifo.ts";
import type { SimClock } from "./sim_clock.ts";
import type { HostRef } from "./sim_hosts.ts";

export interface SimNetStats {
  /** Connections established. */
  connects: number;
  /** Connects that found no listener. */
  refused: number;
  /** Connects that timed out across a cut link. */
  timeouts: number;
  /** Connections reset (by `reset`, a cut that lasted, or a crash). */
  resets: number;
  crashes: number;
  /** Bytes accepted by `write`. */
  bytesWritten: number;
  /** Bytes that reached the receiving host. */
  bytes: number;
}

export function emptyStats(): SimNetStats {
  return { connects: 0, refused: 0, timeouts: 0, resets: 0, crashes: 0, bytesWritten: 0, bytes: 0 };
}

/** What a connection needs from the network it runs on (provided by SimNet). */
export interface ConnNetwork {
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly windowBytes: number;
  readonly stats: SimNetStats;
  /** Whether to split and merge writes and reads at random points. */
  readonly rechunk: boolean;
  /** Whether to overwrite each chunk after `onData` returns (the view was only lent). */
  readonly scribbleReads: boolean;
  /** One random one-way latency. */
  delayMs(): number;
  isCut(from: string, to: string): boolean;
  /** The process is alive and not paused: its code may run now. */
  isRunning(host: HostRef): boolean;
  /** Runs `fn` in the process now, after it resumes, or never if it crashed. */
  runIn(host: HostRef, fn: () => void): void;
  /** A segment reached `to` (for the byte trace). */
  delivered(connId: string, toHost: string, bytes: number): void;
}

/** Bytes delivered together; `fin` marks the end of the stream. */
export interface Segment {
  readonly chunks: Uint8Array[];
  bytes: number;
  readonly fin: boolean;
}

export interface StreamReceiver {
  /** Bytes received and not yet handed to `onData` (they use up the window). */
  unreadBytes(): number;
  receive(segment: Segment): void;
}

export interface StreamSender {
  readonly host: HostRef;
  drained(): void;
}

/** Chance that a write joins the previous segment still in flight (TCP coalescing). */
const MERGE_CHANCE = 0.25;
/** Chance that a write is cut in two segments with their own delays. */
const SPLIT_CHANCE = 0.2;

/** Queued bytes: our copy, and the caller's buffer it must still equal when sent. */
interface Queued {
  copy: Uint8Array;
  original: Uint8Array;
}

export class ByteStream {
  readonly #queue = new Fifo<Queued>();
  #queueBytes = 0;
  readonly #wire = new Fifo<Segment>();
  #wireBytes = 0;
  #lastDueMs = 0;
  /** Arrival timers of an older generation are void (after heal or kill). */
  #generation = 0;
  #finRequested = false;
  #finSent = false;
  #stalled = false;
  #dead = false;
  #wantDrain = false;

  constructor(
    readonly net: ConnNetwork,
    readonly connId: string,
    readonly sender: StreamSender,
    readonly toHost: string,
    readonly receiver: StreamReceiver,
  ) {}

  /** Bytes written and not yet delivered to the receiving host. */
  pendingBytes(): number {
    return this.#queueBytes + this.#wireBytes;
  }

  /** Queues a copy of `data`; false if it did not all fit in the window. */
  write(data: Uint8Array): boolean {
    if (this.#dead || this.#finRequested) return false;
    this.net.stats.bytesWritten += data.length;
    let rest = data;
    if (this.#queue.length === 0 && this.net.isRunning(this.sender.host)) {
      const n = Math.min(this.#room(), data.length);
      if (n > 0) this.#transmit(data.slice(0, n));
      rest = data.subarray(n);
    }
    if (rest.length === 0) return this.#queueBytes === 0;
    this.#queue.push({ copy: rest.slice(), original: rest });
    this.#queueBytes += rest.length;
    this.#wantDrain = true;
    return false;
  }

  /** Sends FIN after everything queued. */
  finish(): void {
    if (this.#finRequested || this.#dead) return;
    this.#finRequested = true;
    this.#pump();
  }

  /** The receiver took bytes or the sender resumed: send more, maybe report drain. */
  windowOpened(): void {
    if (this.#dead) return;
    this.#pump();
    if (this.#wantDrain && this.pendingBytes() === 0) {
      this.#wantDrain = false;
      this.net.runIn(this.sender.host, () => this.sender.drained());
    }
  }

  /** The link healed: segments waiting at the cut go again, each with a fresh delay. */
  unstall(): void {
    if (!this.#stalled || this.#dead) return;
    this.#stalled = false;
    this.#generation++;
    this.#lastDueMs = 0;
    for (let i = 0; i < this.#wire.length; i++) this.#schedule();
  }

  /** Drops everything: the connection was reset. */
  kill(): void {
    this.#dead = true;
    this.#generation++;
    this.#queue.clear();
    this.#wire.clear();
    this.#queueBytes = this.#wireBytes = 0;
  }

  #pump(): void {
    if (this.#dead || !this.net.isRunning(this.sender.host)) return;
    let room = this.#room();
    while (room > 0) {
      const head = this.#queue.at(0);
      if (head === undefined) break;
      const n = Math.min(room, head.copy.length);
      const piece = head.copy.subarray(0, n);
      assert(
        sameBytes(piece, head.original.subarray(0, n)),
        `${this.connId}: a buffer passed to write() changed before it was sent`,
      );
      if (n === head.copy.length) this.#queue.shift();
      else {
        this.#queue.replaceFirst({
          copy: head.copy.subarray(n),
          original: head.original.subarray(n),
        });
      }
      this.#queueBytes -= n;
      room -= n;
      this.#transmit(piece);
    }
    if (this.#queue.length === 0 && this.#finRequested && !this.#finSent) {
      this.#finSent = true;
      this.#send({ chunks: [], bytes: 0, fin: true });
    }
  }

  /** Bytes the receiver's window still has room for. */
  #room(): number {
    return Math.max(0, this.net.windowBytes - this.#wireBytes - this.receiver.unreadBytes());
  }

  #transmit(piece: Uint8Array): void {
    const prng = this.net.prng;
    const last = this.#wire.last();
    if (this.net.rechunk && last !== undefined && !last.fin && prng.chance(MERGE_CHANCE)) {
      last.chunks.push(piece);
      last.bytes += piece.length;
      this.#wireBytes += piece.length;
      return;
    }
    if (this.net.rechunk && piece.length > 1 && prng.chance(SPLIT_CHANCE)) {
      const cut = prng.range(1, piece.length - 1);
      this.#send({ chunks: [piece.subarray(0, cut)], bytes: cut, fin: false });
      piece = piece.subarray(cut);
    }
    this.#send({ chunks: [piece], bytes: piece.length, fin: false });
  }

  #send(segment: Segment): void {
    this.#wire.push(segment);
    this.#wireBytes += segment.bytes;
    this.#schedule();
  }

  /** One arrival timer for the segment just added (or re-added after a heal). */
  #schedule(): void {
    const clock = this.net.clock;
    const dueMs = Math.max(this.#lastDueMs, clock.nowMs() + this.net.delayMs());
    this.#lastDueMs = dueMs;
    const generation = this.#generation;
    clock.setTimeout(() => this.#arrive(generation), dueMs - clock.nowMs());
  }

  #arrive(generation: number): void {
    if (generation !== this.#generation || this.#dead) return;
    if (this.#stalled || this.net.isCut(this.sender.host.name, this.toHost)) {
      this.#stalled = true;
      return;
    }
    const segment = this.#wire.shift();
    if (segment === undefined) return;
    this.#wireBytes -= segment.bytes;
    this.net.stats.bytes += segment.bytes;
    this.net.delivered(this.connId, this.toHost, segment.bytes);
    this.receiver.receive(segment);
    this.windowOpened();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
