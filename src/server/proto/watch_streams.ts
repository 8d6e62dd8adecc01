/**
 * The watch streams of one protobuf connection (docs/protocol.md, "Watch"). A
 * `watch_create` request opens a stream whose responses all carry its request
 * id: `created`, then event batches and progress, then `canceled`. Messages are
 * taken from the hub's watchers only while the socket has room, so a client that
 * does not read stops its watches' history reads and, past the watch buffer,
 * gets its watches canceled — never an unbounded queue.
 */
import {
  type ClientRequest,
  ErrorCode,
  type WatchCreateRequest,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import { rangeProblem } from "../../kv/key_state.ts";
import {
  KV_KEY_BYTES_MAX,
  WATCH_EVENT_BYTES_MAX,
  WATCH_RESPONSE_BYTES_MAX,
  WATCH_SOCKET_QUEUE_BYTES_MAX,
  WATCHES_PER_CONNECTION_MAX,
} from "../../limits.ts";
import { DecodeError } from "../../util/coding.ts";
import { u64ToNumber } from "../../util/ids.ts";
import type { WatchService } from "../watch/watch_types.ts";
import { eventBytes, type Watcher } from "../watch/watcher.ts";
import type { KvEvent } from "../../kv/key_state.ts";
import {
  WatchLimitError,
  type WatchMessage,
  type WatchSpec,
  WatchUnsupportedError,
} from "../watch/watch_types.ts";
import type { ResponseInit } from "./request_handler.ts";
import { watchResponseOf } from "./watch_wire.ts";

/** The connection as the streams use it. */
export interface StreamOutput {
  send(response: ResponseInit): void;
  /** Bytes written but not yet taken by the kernel (waiting in the port or the socket). */
  queuedBytes(): number;
  /** The socket itself holds bytes: it reports (drain) when they are gone. */
  socketBacklogged(): boolean;
}

export function isWatchRequest(req: ClientRequest): boolean {
  return req.body.case === "watchCreate" || req.body.case === "watchCancel";
}

function refuse(requestId: bigint, code: ErrorCode, message: string): ResponseInit {
  return { requestId, error: { code, message } };
}

/** The watch a create request asks for, or why it is refused. */
function specOf(w: WatchCreateRequest): WatchSpec | string {
  const range = { key: w.key, rangeEnd: w.rangeEnd };
  if (w.key.length === 0 && w.rangeEnd.length === 0) return "a watch needs a key or a range";
  if (w.key.length > KV_KEY_BYTES_MAX || w.rangeEnd.length > KV_KEY_BYTES_MAX) {
    return `a watched key is longer than ${KV_KEY_BYTES_MAX} bytes`;
  }
  const problem = rangeProblem(range);
  if (problem !== undefined) return `empty watch range: ${problem}`;
  return {
    range,
    startRevision: u64ToNumber(w.startRevision, "start revision"),
    prevKv: w.prevKv,
    progressNotify: w.progressNotify,
  };
}

export class WatchStreams {
  readonly #streams = new Map<bigint, Watcher>();
  #scheduled = false;
  #closed = false;

  constructor(readonly hub: WatchService | undefined, readonly out: StreamOutput) {}

  get open(): number {
    return this.#streams.size;
  }

  /** Handles a watch_create or watch_cancel request. */
  request(req: ClientRequest): void {
    const id = req.requestId;
    const b = req.body;
    if (b.case === "watchCancel") {
      // Answered first; the stream's canceled message follows. An unknown or ended
      // watch is not an error: the server may have ended it as the client asked.
      this.out.send({ requestId: id, body: { case: "watch", value: {} } });
      const w = this.#streams.get(b.value.watchId);
      if (w !== undefined) this.hub?.cancel(w, "canceled by the client");
      return;
    }
    if (b.case !== "watchCreate") return;
    try {
      this.out.send(this.#create(id, b.value));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.out.send(refuse(id, ErrorCode.INVALID_ARGUMENT, err.message));
    }
  }

  #create(id: bigint, create: WatchCreateRequest): ResponseInit {
    const hub = this.hub;
    if (hub === undefined || this.#closed) {
      return refuse(id, ErrorCode.UNAVAILABLE, "this node serves no watches");
    }
    const spec = specOf(create);
    if (typeof spec === "string") return refuse(id, ErrorCode.INVALID_ARGUMENT, spec);
    if (this.#streams.has(id)) {
      return refuse(id, ErrorCode.INVALID_ARGUMENT, `request id ${id} already has a watch`);
    }
    if (this.#streams.size >= WATCHES_PER_CONNECTION_MAX) {
      const why = `too many watches on this connection (${WATCHES_PER_CONNECTION_MAX})`;
      return refuse(id, ErrorCode.FAILED_PRECONDITION, why);
    }
    try {
      const w = hub.create(spec, { wake: () => this.#schedule() });
      this.#streams.set(id, w);
      return {
        requestId: id,
        body: { case: "watch", value: { created: true, revision: BigInt(hub.revisionOf(w)) } },
      };
    } catch (err) {
      if (!(err instanceof WatchLimitError)) throw err;
      const code = err instanceof WatchUnsupportedError
        ? ErrorCode.FAILED_PRECONDITION
        : ErrorCode.UNAVAILABLE;
      return refuse(id, code, err.message);
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    // After the current turn: the created response goes out first, and a burst of
    // publishes is sent as merged responses.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.drain();
    });
  }

  /** Sends what the watches have while the socket has room (also on the socket's drain). */
  drain(): void {
    if (this.#closed) return;
    for (const [id, w] of [...this.#streams]) {
      for (;;) {
        if (this.out.queuedBytes() >= WATCH_SOCKET_QUEUE_BYTES_MAX) {
          // The socket's drain calls again (or, when the bytes still wait in the
          // port's outbox, the turn after its flush does); meanwhile nothing is taken.
          if (!this.out.socketBacklogged()) this.#schedule();
          this.#rotate(id);
          return;
        }
        const m = w.take(WATCH_RESPONSE_BYTES_MAX);
        if (m === undefined) break;
        if (m.kind === "events" && !this.#fits(id, w, m.events, m.revision)) break;
        this.#send(id, w, m);
        if (m.kind === "canceled") {
          this.#streams.delete(id);
          break;
        }
      }
    }
  }

  /**
   * Whether one revision's changes fit a frame. If not, no resumed watch could ever
   * get past them: the stream ends with TOO_LARGE (not retryable), not a cancel.
   */
  #fits(id: bigint, w: Watcher, events: readonly KvEvent[], revision: number): boolean {
    let bytes = 0;
    for (const e of events) bytes += eventBytes(e, w.spec.prevKv);
    if (bytes <= WATCH_EVENT_BYTES_MAX) return true;
    this.#streams.delete(id);
    this.hub?.cancel(w, "too large");
    const why = `the changes at revision ${revision} (${bytes} bytes) do not fit one frame`;
    this.out.send(refuse(id, ErrorCode.TOO_LARGE, why));
    return false;
  }

  /** The stream that found the socket full goes first next time; the ones served go last. */
  #rotate(first: bigint): void {
    for (const [id, w] of [...this.#streams]) {
      if (id === first) return;
      this.#streams.delete(id);
      this.#streams.set(id, w);
    }
  }

  #send(id: bigint, w: Watcher, m: WatchMessage): void {
    const value = watchResponseOf(m, w.spec.prevKv);
    this.out.send({ requestId: id, body: { case: "watch", value } });
  }

  /** The connection closed: its watches end (nothing more is sent). */
  close(): void {
    this.#closed = true;
    for (const w of this.#streams.values()) this.hub?.cancel(w, "connection closed");
    this.#streams.clear();
  }
}
