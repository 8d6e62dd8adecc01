/**
 * A watch (`client.watch(target, options)`) as the client library runs it
 * (docs/coordination.md, "Watch"): a stream on one node's protobuf port that
 * moves to another node when its connection or node goes away, resuming from the
 * revision after the last one it delivered, so no change is missed or repeated.
 * It ends with TinyKvError("COMPACTED") when the revision to resume from was
 * compacted away.
 *
 * A consumer slower than the stream does not grow memory without bound: past
 * CLIENT_WATCH_BUFFER_EVENTS_MAX waiting events the server stream is canceled, and
 * reopened from where it stopped once the consumer has caught up.
 */
import type { ClientResponse, WatchResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import { CLIENT_WATCH_BUFFER_EVENTS_MAX } from "../limits.ts";
import { u64ToNumber } from "../util/ids.ts";
import type { ClientCore } from "./client.ts";
import type { ClientConnection, StreamHandler } from "./connection.ts";
import { isAuthFailure } from "./client_auth.ts";
import { fromWireError, TinyKvError } from "./errors.ts";
import { StreamLiveness } from "./stream_liveness.ts";
import { changeOf, rangeOf, type WatchTarget, type WatchUpdate } from "./watch_wire.ts";

export type { WatchTarget };

export interface WatchOptions {
  /** The first revision to deliver (default: the changes after the current revision). */
  readonly fromRevision?: number;
  /** Each change carries the key's state before it. */
  readonly prevKv?: boolean;
  /** Deliver progress updates (no changes, the revision) while the watch is idle. */
  readonly progressNotify?: boolean;
  /**
   * After this long without a message (default 5 s), the node is asked for its status;
   * no answer in the same time moves the watch to another node (stream_liveness.ts).
   */
  readonly livenessMs?: number;
}

/** Why one stream ended. */
type StreamEnd =
  | { readonly kind: "lost" }
  | { readonly kind: "paused" }
  | { readonly kind: "stopped" }
  | { readonly kind: "failed"; readonly error: TinyKvError };

const BACKOFF_MIN_MS = 10;
const BACKOFF_MAX_MS = 1000;
const CANCEL_TIMEOUT_MS = 1000;
const LIVENESS_MS = 5000;

export class Watch implements AsyncIterable<WatchUpdate> {
  readonly #queue: WatchUpdate[] = [];
  #queuedEvents = 0;
  #waiter: { resolve(r: IteratorResult<WatchUpdate>): void; reject(e: unknown): void } | undefined;
  #error: TinyKvError | undefined;
  #finished = false;
  /** The next revision to deliver; 0 until the first stream says where "now" is. */
  #next: number;
  #endpoint = 0;
  #repeatsDropped = 0;
  #stop: (() => void) | undefined;
  #resume: (() => void) | undefined;

  /** The keys watched, [key, rangeEnd) as etcd writes ranges. */
  readonly range: { key: Uint8Array; rangeEnd: Uint8Array };

  /**
   * Streams the changes to `target` in revision order from `fromRevision`
   * (default: the changes after now). Iterate it with `for await`; `cancel()`
   * ends it, as does the client's `close()`. It survives the loss of its node.
   */
  constructor(readonly core: ClientCore, target: WatchTarget, readonly options: WatchOptions = {}) {
    this.range = rangeOf(target);
    const from = options.fromRevision ?? 0;
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new TinyKvError("INVALID_ARGUMENT", "fromRevision must be a whole number >= 0", false);
    }
    this.#next = from;
    void this.#run();
  }

  /** The revision after the last one delivered (where a resumed stream starts). */
  get nextRevision(): number {
    return this.#next;
  }

  /** Changes a node sent again (below the next revision) and this watch dropped. */
  get repeatsDropped(): number {
    return this.#repeatsDropped;
  }

  /** Ends the watch: the iteration finishes after what was already delivered. */
  cancel(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stop?.();
    this.#resume?.();
    this.#wakeWaiter();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchUpdate> {
    return {
      next: () => this.#pull(),
      return: () => {
        this.cancel();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  #pull(): Promise<IteratorResult<WatchUpdate>> {
    const update = this.#queue.shift();
    if (update !== undefined) {
      this.#queuedEvents -= update.events.length;
      if (this.#queuedEvents <= CLIENT_WATCH_BUFFER_EVENTS_MAX / 2) this.#resume?.();
      return Promise.resolve({ done: false, value: update });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }

  #wakeWaiter(): void {
    const w = this.#waiter;
    if (w === undefined) return;
    this.#waiter = undefined;
    const update = this.#queue.shift();
    if (update !== undefined) {
      this.#queuedEvents -= update.events.length;
      w.resolve({ done: false, value: update });
    } else if (this.#error !== undefined) w.reject(this.#error);
    else if (this.#finished) w.resolve({ done: true, value: undefined });
    else this.#waiter = w;
  }

  async #run(): Promise<void> {
    const core = this.core;
    let backoff = BACKOFF_MIN_MS;
    while (!this.#finished) {
      if (core.closed) return this.cancel(); // the client's close() ends its watches
      if (this.#queuedEvents > CLIENT_WATCH_BUFFER_EVENTS_MAX) {
        await new Promise<void>((resolve) => this.#resume = resolve);
        this.#resume = undefined;
        continue;
      }
      const endpoints = core.endpoints;
      const address = endpoints[this.#endpoint % endpoints.length];
      const before = this.#next;
      const end = await this.#stream(address);
      if (end.kind === "failed") return this.#fail(end.error);
      if (end.kind !== "lost") continue;
      // Another node next; wait longer each time nothing was delivered.
      this.#endpoint = (this.#endpoint + 1) % Math.max(1, core.endpoints.length);
      backoff = this.#next !== before ? BACKOFF_MIN_MS : Math.min(BACKOFF_MAX_MS, backoff * 2);
      await new Promise<void>((r) => core.options.clock.setTimeout(r, backoff));
    }
  }

  #fail(error: TinyKvError): void {
    this.#error = error;
    this.#finished = true;
    this.#wakeWaiter();
  }

  /** Runs one stream on `address` until it ends. */
  async #stream(address: string): Promise<StreamEnd> {
    let conn: ClientConnection;
    try {
      conn = await this.core.connectionTo(address);
    } catch (err) {
      // A wrong password stays wrong: report it rather than retry forever.
      if (err instanceof TinyKvError && isAuthFailure(err)) return { kind: "failed", error: err };
      return { kind: "lost" };
    }
    if (this.#finished) return { kind: "stopped" };
    return new Promise<StreamEnd>((resolve) => {
      let id = 0;
      const liveness = new StreamLiveness(
        this.core.options.clock,
        this.options.livenessMs ?? LIVENESS_MS,
        (timeoutMs) => conn.call({ case: "status", value: {} }, { timeoutMs }),
        (_why, unreachable) => {
          if (unreachable) this.core.dropConnection(address);
          cancelOnServer({ kind: "lost" });
        },
      );
      const finish = (end: StreamEnd) => {
        liveness.stop();
        conn.closeStream(id);
        this.#stop = undefined;
        resolve(end);
      };
      const cancelOnServer = (end: StreamEnd) => {
        conn.call({ case: "watchCancel", value: { watchId: BigInt(id) } }, {
          timeoutMs: CANCEL_TIMEOUT_MS,
        }).catch(() => {});
        finish(end);
      };
      const handler: StreamHandler = {
        onResponse: (r: ClientResponse) => {
          liveness.heard();
          const e = r.error;
          if (e !== undefined) {
            const err = fromWireError(e.code, e.message, e.leaderAddress);
            // An expired token: a fresh connection logs in again.
            if (err.code === "TOKEN_EXPIRED") this.core.dropConnection(address);
            const retry = err.code === "UNAVAILABLE" || err.code === "NOT_LEADER" ||
              err.code === "TOKEN_EXPIRED";
            return finish(retry ? { kind: "lost" } : { kind: "failed", error: err });
          }
          if (r.body.case !== "watch") return finish({ kind: "lost" });
          const end = this.#onMessage(r.body.value);
          if (end !== undefined) return finish(end);
          if (this.#queuedEvents > CLIENT_WATCH_BUFFER_EVENTS_MAX) {
            cancelOnServer({ kind: "paused" });
          }
        },
        onClose: () => {
          this.core.dropConnection(address);
          finish({ kind: "lost" });
        },
      };
      try {
        id = conn.openStream({ case: "watchCreate", value: this.#createRequest() }, handler, {
          timeoutMs: CANCEL_TIMEOUT_MS,
        });
      } catch {
        return finish({ kind: "lost" });
      }
      this.#stop = () => cancelOnServer({ kind: "stopped" });
    });
  }

  #createRequest() {
    return {
      key: this.range.key,
      rangeEnd: this.range.rangeEnd,
      startRevision: BigInt(this.#next),
      prevKv: this.options.prevKv ?? false,
      progressNotify: this.options.progressNotify ?? false,
    };
  }

  /** Takes one message of the stream; says how the stream ended when it did. */
  #onMessage(w: WatchResponse): StreamEnd | undefined {
    const revision = u64ToNumber(w.revision, "revision");
    if (w.created) {
      if (this.#next === 0) this.#next = revision + 1;
      return undefined;
    }
    if (w.canceled) {
      const compacted = u64ToNumber(w.compactRevision, "compact revision");
      // Resume after the cancel's revision: the last one the node delivered, or lower when a
      // split moved the watched keys to a region whose revisions go on from the split's
      // (docs/coordination.md "Watch"; nothing of these keys lies between the two).
      if (compacted === 0) {
        if (revision > 0 && revision + 1 < this.#next) this.#next = revision + 1;
        return { kind: "lost" };
      }
      const message = `watch: ${w.cancelReason}`;
      return {
        kind: "failed",
        error: new TinyKvError("COMPACTED", message, false, undefined, compacted),
      };
    }
    // Guard against a resumed stream repeating what was delivered.
    const all = w.events.map(changeOf);
    const events = all.filter((e) => e.modRevision >= this.#next);
    this.#repeatsDropped += all.length - events.length;
    const last = events.length > 0 ? events[events.length - 1].modRevision : 0;
    const through = Math.max(revision, last, this.#next - 1);
    this.#next = through + 1;
    if (events.length > 0) this.#push({ events, revision: through, progress: false });
    else if (w.progress && this.options.progressNotify) {
      this.#push({ events: [], revision: through, progress: true });
    }
    return undefined;
  }

  #push(update: WatchUpdate): void {
    if (this.#finished) return;
    this.#queue.push(update);
    this.#queuedEvents += update.events.length;
    this.#wakeWaiter();
  }
}
