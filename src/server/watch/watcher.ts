/**
 * One watch on a node: where it is in the history, and the bounded buffer of
 * messages waiting for its port to send them. The hub (watch_hub.ts) fills it;
 * the port drains it with `take()` when its socket has room.
 */
import type { KvEvent } from "../../kv/key_state.ts";
import { WATCH_BUFFER_BYTES_MAX, WATCH_BUFFER_EVENTS_MAX } from "../../limits.ts";
import type { WatchMessage, WatchSink, WatchSpec } from "./watch_types.ts";

/** Bytes an event costs in a buffer: its keys and values (the previous state's too). */
export function eventBytes(e: KvEvent, prevKv: boolean): number {
  const prev = prevKv && e.prev !== undefined ? e.prev.key.length + e.prev.value.length : 0;
  return e.kv.key.length + e.kv.value.length + prev + 32;
}

/** A run of whole revisions (events) or a progress notification (no events). */
interface Entry {
  readonly events: readonly KvEvent[];
  readonly revision: number;
  readonly bytes: number;
}

export class Watcher {
  /** The next revision this watch delivers. */
  next: number;
  /** Receiving events as they are published (else catching up from history). */
  synced = false;
  /** The catch-up loop is running (a history read may be in flight). */
  catchingUp = false;
  /** The hub serving the watch (a split can move it to its keys' new region's hub). */
  hub: object | undefined;
  /** Takes nothing above this revision until moved: its region split there (watch_hub.ts). */
  parkedAt: number | undefined;
  /** Clock ms when the watch last had something to send (for progress notifications). */
  lastActiveMs: number;
  readonly #entries: Entry[] = [];
  #events = 0;
  #bytes = 0;
  #final: WatchMessage | undefined;
  #ended = false;
  /** The last revision handed to the port. */
  #delivered: number;
  /** Called when the buffer empties while catching up (the hub reads the next batch). */
  onEmpty: () => void = () => {};
  /** Called with the number of events the port took (metrics). */
  onSent: (events: number) => void = () => {};

  constructor(
    readonly id: number,
    readonly spec: WatchSpec,
    readonly sink: WatchSink,
    next: number,
    nowMs: number,
  ) {
    this.next = next;
    this.#delivered = next - 1;
    this.lastActiveMs = nowMs;
  }

  /** The watch was canceled or ended: it accepts nothing more. */
  get ended(): boolean {
    return this.#ended;
  }

  get bufferedEvents(): number {
    return this.#events;
  }

  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /**
   * Buffers events of whole revisions, all delivered up to `revision`. Refuses
   * (false) when the buffer is not empty and would pass its limits: the port is
   * not keeping up. An empty buffer always takes one run, whatever its size.
   */
  push(events: readonly KvEvent[], revision: number, nowMs: number): boolean {
    if (this.#ended) return true;
    let bytes = 0;
    for (const e of events) bytes += eventBytes(e, this.spec.prevKv);
    const full = this.#events + events.length > WATCH_BUFFER_EVENTS_MAX ||
      this.#bytes + bytes > WATCH_BUFFER_BYTES_MAX;
    if (this.#entries.length > 0 && full) return false;
    this.#entries.push({ events, revision, bytes });
    this.#events += events.length;
    this.#bytes += bytes;
    this.lastActiveMs = nowMs;
    if (this.#entries.length === 1) this.sink.wake();
    return true;
  }

  /** Queues a progress notification (the watch has seen everything up to `revision`). */
  progress(revision: number, nowMs: number): void {
    if (this.#ended) return;
    this.#entries.push({ events: [], revision, bytes: 0 });
    this.lastActiveMs = nowMs;
    if (this.#entries.length === 1) this.sink.wake();
  }

  /**
   * Ends the watch: what is buffered is dropped, `canceled` is the last message. Its revision
   * is the last delivered, or `resumeAfter` when given (lower: the client resumes after it).
   */
  end(reason: string, compactRevision?: number, resumeAfter?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#entries.length = 0;
    this.#events = 0;
    this.#bytes = 0;
    const revision = Math.min(this.#delivered, resumeAfter ?? this.#delivered);
    this.#final = { kind: "canceled", reason, revision, compactRevision };
    this.sink.wake();
  }

  /** The highest revision the port sent or will send (its buffer's too). */
  get announced(): number {
    let top = this.#delivered;
    for (const e of this.#entries) top = Math.max(top, e.revision);
    return top;
  }

  /** The revision the port has sent everything up to. */
  get delivered(): number {
    return this.#delivered;
  }

  /**
   * The next message to send: runs of revisions merged up to `maxBytes` (one
   * run alone may be larger), a progress notification, or the final cancel.
   */
  take(maxBytes: number): WatchMessage | undefined {
    const first = this.#entries[0];
    if (first === undefined) {
      const final = this.#final;
      this.#final = undefined;
      return final;
    }
    if (first.events.length === 0) {
      this.#entries.shift();
      this.#afterTake(0, 0, first.revision);
      return { kind: "progress", revision: Math.max(first.revision, this.#delivered) };
    }
    const events: KvEvent[] = [];
    let bytes = 0, revision = 0;
    while (this.#entries.length > 0) {
      const e = this.#entries[0];
      if (e.events.length === 0 || (events.length > 0 && bytes + e.bytes > maxBytes)) break;
      this.#entries.shift();
      events.push(...e.events);
      bytes += e.bytes;
      revision = e.revision;
    }
    this.#afterTake(events.length, bytes, revision);
    return { kind: "events", events, revision };
  }

  #afterTake(events: number, bytes: number, revision: number): void {
    this.#events -= events;
    this.#bytes -= bytes;
    this.#delivered = Math.max(this.#delivered, revision);
    if (events > 0) this.onSent(events);
    if (this.#entries.length === 0 && !this.synced && !this.#ended) this.onEmpty();
  }
}
