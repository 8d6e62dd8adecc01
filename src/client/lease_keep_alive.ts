/**
 * Keeps a lease alive: a keep-alive every third of its TTL, so two may be
 * lost before the lease runs out. A failed keep-alive (no node reachable,
 * leader changing) is tried again soon, through the client's endpoint
 * rotation; the lease is reported lost only when the cluster says it is gone
 * (LEASE_NOT_FOUND). Responses can be read with `for await`; at most
 * CLIENT_KEEPALIVE_BUFFERED_MAX unread ones are kept (the oldest is dropped).
 */
import { CLIENT_KEEPALIVE_BUFFERED_MAX } from "../limits.ts";
import type { Clock, TimerId } from "../platform/types.ts";
import { TinyKvError } from "./errors.ts";

/** A lease as the leader reports it. */
export interface LeaseStatus {
  readonly id: number;
  readonly grantedTtlSeconds: number;
  /** Milliseconds before the leader revokes it unless kept alive. */
  readonly remainingMs: number;
}

/** One keep-alive: resolves with the lease, rejects with TinyKvError. */
export type SendKeepAlive = (deadlineMs: number) => Promise<LeaseStatus>;

/** Shortest wait between keep-alives (a lease of a few seconds still gets several). */
const INTERVAL_MIN_MS = 100;
/** Wait before trying again after a keep-alive failed for another reason than LEASE_NOT_FOUND. */
const RETRY_MS = 250;

export class KeepAliveHandle implements AsyncIterable<LeaseStatus> {
  readonly #buffered: LeaseStatus[] = [];
  #waiter: (() => void) | undefined;
  #timer: TimerId | undefined;
  #ended = false;
  #lost: TinyKvError | undefined;
  #resolveDone: (lost: TinyKvError | undefined) => void = () => {};
  /** Settles when the handle ends: undefined after close(), the error when the lease was lost. */
  readonly done: Promise<TinyKvError | undefined>;
  /** The last response, when there was one. */
  last: LeaseStatus | undefined;

  constructor(readonly id: number, readonly clock: Clock, readonly send: SendKeepAlive) {
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#tick();
  }

  /** The error that ended the handle (LEASE_NOT_FOUND), if the lease was lost. */
  get lost(): TinyKvError | undefined {
    return this.#lost;
  }

  /** Stops sending keep-alives (the lease then expires after its TTL unless revoked). */
  close(): void {
    this.#end(undefined);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#ended) return;
    // Give up an attempt when the lease would have run out by then.
    const deadlineMs = Math.max(1000, this.last?.remainingMs ?? 5000);
    this.send(deadlineMs).then((status) => {
      if (this.#ended) return;
      this.last = status;
      this.#buffered.push(status);
      if (this.#buffered.length > CLIENT_KEEPALIVE_BUFFERED_MAX) this.#buffered.shift();
      this.#wake();
      this.#schedule(Math.max(INTERVAL_MIN_MS, Math.floor(status.remainingMs / 3)));
    }, (err: unknown) => {
      if (this.#ended) return;
      if (err instanceof TinyKvError && err.code === "LEASE_NOT_FOUND") return this.#end(err);
      if (!(err instanceof TinyKvError)) return this.#end(asError(err));
      this.#schedule(RETRY_MS);
    });
  }

  #schedule(ms: number): void {
    if (this.#ended) return;
    this.#timer = this.clock.setTimeout(() => this.#tick(), ms);
  }

  #end(lost: TinyKvError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#lost = lost;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake();
    this.#resolveDone(lost);
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** Each response in turn; ends after close(), throws the error when the lease is lost. */
  async *[Symbol.asyncIterator](): AsyncIterator<LeaseStatus> {
    for (;;) {
      const next = this.#buffered.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) {
        if (this.#lost !== undefined) throw this.#lost;
        return;
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }
}

function asError(err: unknown): TinyKvError {
  return new TinyKvError("UNAVAILABLE", `keep-alive failed: ${String(err)}`, false);
}
