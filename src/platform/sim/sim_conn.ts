/**
 * A simulated TCP connection: two `SimEnd`s joined by a `ByteStream` each
 * way. An end holds what arrived until its process reads it (it is paused,
 * its host is paused, or it has no handlers yet); those bytes use up the
 * sender's window. Chunks handed to `onData` are copies of what was written,
 * split and merged at random points, since TCP keeps no write boundaries, and
 * are overwritten once `onData` returns (`scribbleReads`).
 *
 * Closing sends FIN after the queued bytes; the peer reports `onClose()` when
 * it reads the FIN and closes its side too (no half-open connections, like
 * the real adapters), so the closer reports `onClose()` when that FIN comes
 * back. A reset reports `onClose(error)` on both ends and drops every byte.
 */
import { IoError } from "../../util/errors.ts";
import type { Conn, ConnHandlers } from "../types.ts";
import type { HostRef } from "./sim_hosts.ts";
import { Fifo } from "./fifo.ts";
import { ByteStream, type ConnNetwork, type Segment } from "./sim_stream.ts";

/** The end of the stream, queued after the bytes that precede it. */
const FIN = "fin";
type InboxItem = Uint8Array | typeof FIN;

/** Chance that a read merges the chunks waiting, or splits the first one. */
const READ_MERGE_CHANCE = 0.3;
const READ_SPLIT_CHANCE = 0.2;
/**
 * Written over each chunk once `onData` returns: real sockets reuse their
 * read buffers, so a reader that keeps a view without copying sees garbage
 * here every time rather than only under load there.
 */
const SCRIBBLE = 0xee;

export class SimEnd implements Conn {
  readonly #inbox = new Fifo<InboxItem>();
  #unreadBytes = 0;
  #handlers: ConnHandlers | undefined;
  #paused = false;
  /** `close()` was called: no more writes. */
  #closing = false;
  /** No more data either; `#closeNotice` says what to report. */
  #closed = false;
  #closeNotice: { error?: Error } | undefined;
  #reported = false;
  #flushScheduled = false;
  #flushing = false;
  /** A read waits for the paused process to resume. */
  #flushHeld = false;
  out!: ByteStream;
  in!: ByteStream;

  constructor(
    readonly net: ConnNetwork,
    readonly connection: SimConnection,
    readonly host: HostRef,
    readonly remoteAddress: string,
  ) {}

  write(data: Uint8Array): boolean {
    if (this.#closing || this.#closed) return false;
    return this.out.write(data);
  }

  queuedBytes(): number {
    return this.out.pendingBytes();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.scheduleFlush();
  }

  close(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    this.out.finish();
  }

  setHandlers(handlers: ConnHandlers): void {
    this.#handlers = handlers;
    this.scheduleFlush();
  }

  get closed(): boolean {
    return this.#closed;
  }

  unreadBytes(): number {
    return this.#unreadBytes;
  }

  receive(segment: Segment): void {
    if (this.#closed) return;
    for (const chunk of segment.chunks) this.#inbox.push(chunk);
    if (segment.fin) this.#inbox.push(FIN);
    this.#unreadBytes += segment.bytes;
    this.flush();
  }

  drained(): void {
    if (!this.#closed) this.#handlers?.onDrain?.();
  }

  /** The connection failed: drop unread bytes and report `error` (unless `silent`: crashed). */
  fail(error: Error, silent = false): void {
    this.out.kill();
    this.in.kill();
    this.#inbox.clear();
    this.#unreadBytes = 0;
    if (silent) this.#reported = true;
    if (this.#closed) return;
    this.#closed = true;
    this.#closeNotice = { error };
    if (!silent) this.scheduleFlush();
  }

  /** Its process resumed: read what waited, send what it wrote. */
  hostResumed(): void {
    this.scheduleFlush();
    this.out.windowOpened();
  }

  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.net.clock.setTimeout(() => {
      this.#flushScheduled = false;
      this.flush();
    }, 0);
  }

  /** Hands waiting chunks to `onData` while reading is allowed, then any close. */
  flush(): void {
    if (this.#flushing) return;
    if (!this.net.isRunning(this.host)) {
      // Paused: read again when the process resumes (the net may have forgotten this connection
      // by then, after a reset); crashed: runIn drops it.
      if (!this.#flushHeld) {
        this.#flushHeld = true;
        this.net.runIn(this.host, () => {
          this.#flushHeld = false;
          this.scheduleFlush();
        });
      }
      return;
    }
    const handlers = this.#handlers;
    if (handlers === undefined) return;
    this.#flushing = true;
    let took = 0;
    try {
      while (!this.#paused && this.#inbox.length > 0 && this.#handlers === handlers) {
        const item = this.#nextRead();
        if (item === FIN) {
          this.#peerClosed();
          break;
        }
        took += item.length;
        handlers.onData(item);
        if (this.net.scribbleReads) item.fill(SCRIBBLE);
      }
      if (this.#closeNotice !== undefined && !this.#reported) {
        this.#reported = true;
        handlers.onClose?.(this.#closeNotice.error);
        this.connection.endReported();
      }
    } finally {
      this.#flushing = false;
    }
    if (took > 0) this.in.windowOpened();
  }

  #peerClosed(): void {
    this.#closed = true;
    this.#closeNotice = {};
    this.out.finish();
  }

  /** The next chunk to read, merged with the ones behind it or split at random. */
  #nextRead(): InboxItem {
    const inbox = this.#inbox;
    const head = inbox.at(0);
    if (head === undefined || head === FIN || !this.net.rechunk) return this.#take(1);
    const prng = this.net.prng;
    const second = inbox.at(1);
    if (second !== undefined && second !== FIN && prng.chance(READ_MERGE_CHANCE)) {
      let count = 2;
      while (count < inbox.length && count < 4 && inbox.at(count) !== FIN) count++;
      return this.#take(count);
    }
    if (head.length > 1 && prng.chance(READ_SPLIT_CHANCE)) {
      const cut = prng.range(1, head.length - 1);
      inbox.replaceFirst(head.subarray(cut));
      this.#unreadBytes -= cut;
      return head.subarray(0, cut);
    }
    return this.#take(1);
  }

  /** Removes `count` items; several are concatenated into one new chunk. */
  #take(count: number): InboxItem {
    const items: InboxItem[] = [];
    for (let i = 0; i < count; i++) {
      const item = this.#inbox.shift();
      if (item !== undefined) items.push(item);
    }
    if (items.length === 1) {
      const item = items[0];
      if (item !== FIN) this.#unreadBytes -= item.length;
      return item;
    }
    const chunks = items.filter((c): c is Uint8Array => c !== FIN);
    const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
    const merged = new Uint8Array(bytes);
    let offset = 0;
    for (const c of chunks) {
      merged.set(c, offset);
      offset += c.length;
    }
    this.#unreadBytes -= bytes;
    return merged;
  }
}

/** Both ends of one connection; `id` names it in the trace ("a:49152>b:7000"). */
export class SimConnection {
  readonly client: SimEnd;
  readonly server: SimEnd;
  readonly id: string;
  #reportedEnds = 0;

  constructor(
    readonly net: ConnNetwork,
    client: { host: HostRef; port: number },
    server: { host: HostRef; port: number; dialed: string },
    readonly onFinished: (conn: SimConnection) => void,
  ) {
    this.id = `${client.host.name}:${client.port}>${server.host.name}:${server.port}`;
    this.client = new SimEnd(net, this, client.host, `${server.dialed}:${server.port}`);
    this.server = new SimEnd(net, this, server.host, `${client.host.name}:${client.port}`);
    const up = new ByteStream(net, this.id, this.client, server.host.name, this.server);
    const down = new ByteStream(net, this.id, this.server, client.host.name, this.client);
    this.client.out = this.server.in = up;
    this.server.out = this.client.in = down;
  }

  /** Both ends still deliver or wait to report something. */
  get open(): boolean {
    return !this.client.closed || !this.server.closed;
  }

  /** Joins hosts `a` and `b` (either way round). */
  between(a: string, b: string): boolean {
    const c = this.client.host.name, s = this.server.host.name;
    return (c === a && s === b) || (c === b && s === a);
  }

  involves(host: string): boolean {
    return this.client.host.name === host || this.server.host.name === host;
  }

  reset(reason: string): void {
    const error = new IoError(`Connection ${this.id} reset (${reason})`);
    this.client.fail(error);
    this.server.fail(error);
  }

  /** `host` crashed: its ends go silent now, the other end learns after `delayMs`. */
  abort(host: string, delayMs: number): void {
    const error = new IoError(`Connection ${this.id} reset (${host} crashed)`);
    for (const end of [this.client, this.server]) {
      if (end.host.name === host) end.fail(error, true);
      else {
        end.out.kill();
        end.in.kill();
        this.net.clock.setTimeout(() => end.fail(error), delayMs);
      }
    }
  }

  unstall(): void {
    this.client.out.unstall();
    this.server.out.unstall();
  }

  /** Called as each end reports its close; the net forgets the connection after both. */
  endReported(): void {
    this.#reportedEnds++;
    if (this.#reportedEnds >= 2) this.onFinished(this);
  }
}
