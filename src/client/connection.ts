/**
 * One pipelined connection to a TinyKV node's protobuf port. Requests get
 * connection-unique ids; responses may come back in any order and are matched
 * by id. Frames written in the same turn of the event loop go out in one
 * socket write. Each request has a deadline; a late response is dropped.
 * While a response frame is still arriving (bytes came in the last second),
 * no request on the connection times out: a large value is slow, not lost.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  type ClientResponse,
  HelloSchema,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { ANNOUNCED_BUFFER_START_BYTES, CLIENT_INFLIGHT_MAX, FRAME_BYTES_MAX } from "../limits.ts";
import type { Clock, Conn, Net, TimerId } from "../platform/types.ts";
import { DeadlineTimer } from "../util/deadline_timer.ts";
import { errorMessage } from "../util/errors.ts";
import { FrameDecoder } from "../util/frame.ts";
import { splitHostPort } from "../util/host_port.ts";
import { u64ToNumber } from "../util/ids.ts";
import { decodeWireFrame, encodeWireFrameParts, writeParts } from "../wire/frame_codec.ts";
import { encodeHotRequestFrame } from "../wire/client_hot_codec.ts";
import { type ClientErrorCode, TinyKvError } from "./errors.ts";
import { timeoutError } from "./timeout_option.ts";

/** A partly received response keeps requests alive while bytes came this recently. */
const PROGRESS_WINDOW_MS = 1000;

interface Pending {
  resolve(response: ClientResponse): void;
  reject(err: TinyKvError): void;
  /** Clock ms after which the request times out. */
  deadline: number;
}

/** Where the responses of a stream (a watch) go, until `closeStream` or the connection ends. */
export interface StreamHandler {
  onResponse(response: ClientResponse): void;
  /** The connection ended; no more responses come. */
  onClose(err: TinyKvError): void;
}

/** A request body as accepted by `create()`: plain objects, no `$typeName`. */
export type RequestBody = MessageInitShape<typeof ClientRequestSchema>["body"];

export interface CallOptions {
  readonly timeoutMs: number;
  readonly clientId?: number;
  readonly sequence?: number;
  readonly ackedSequence?: number;
  /** Sent with admin requests when the cluster has an admin token. */
  readonly adminToken?: string;
  /** The region and epoch the request is routed with (docs/regions.md#routing). */
  readonly route?: RequestRoute;
}

/** `ClientRequest.route` as accepted by `create()`. */
export type RequestRoute = MessageInitShape<typeof ClientRequestSchema>["route"];

/** How a node introduces itself when it calls another node's port (forwarding, status). */
export interface PeerHello {
  readonly nodeId: number;
  readonly clusterToken?: string;
  /** The caller's own protobuf/Raft address. */
  readonly address?: string;
}

export class ClientConnection {
  /** Sent with every request once set: the token from authenticating (docs/protocol.md). */
  authToken = "";
  readonly #pending = new Map<number, Pending>();
  /** Streams by request id: many responses each, no deadline. */
  readonly #streams = new Map<number, StreamHandler>();
  readonly #decoder = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
  #nextId = 1;
  #outbox: Uint8Array[] = [];
  #closedError: TinyKvError | null = null;
  /** When bytes last arrived (clock ms). */
  #lastDataMs = 0;
  /**
   * One timer per connection, due at the earliest deadline, instead of one
   * per request: arming and clearing a timer per request cost ~7 % of a
   * bench client's CPU.
   */
  readonly #timer: DeadlineTimer<TimerId>;

  private constructor(readonly address: string, readonly conn: Conn, readonly clock: Clock) {
    this.#timer = new DeadlineTimer(clock, (now) => this.#expire(now));
    conn.setHandlers({
      onData: (chunk) => this.#onData(chunk),
      onClose: (err) =>
        this.#fail(`connection to ${address} closed${err ? `: ${err.message}` : ""}`),
    });
  }

  static async open(
    net: Net,
    clock: Clock,
    address: string,
    hello?: PeerHello,
  ): Promise<ClientConnection> {
    const { host, port } = splitHostPort(address);
    try {
      const conn = await net.connect(host, port);
      const c = new ClientConnection(address, conn, clock);
      if (hello !== undefined) c.#sendHello(hello);
      return c;
    } catch (err) {
      throw new TinyKvError(
        "UNAVAILABLE",
        // The platform's message names the address too: say it once.
        `cannot connect to ${address}: ${
          errorMessage(err).replace(/^Cannot connect to \S+: /, "")
        }`,
        false,
      );
    }
  }

  get closed(): boolean {
    return this.#closedError !== null;
  }

  get inflight(): number {
    return this.#pending.size;
  }

  /** Sends one request; resolves with its response or rejects with TinyKvError. */
  call(body: RequestBody, options: CallOptions): Promise<ClientResponse> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const badTimeout = timeoutError("timeoutMs", options.timeoutMs);
    if (badTimeout !== undefined) return Promise.reject(badTimeout);
    if (this.#pending.size >= CLIENT_INFLIGHT_MAX) {
      return Promise.reject(new TinyKvError("UNAVAILABLE", "too many requests in flight", false));
    }
    const requestId = this.#nextId++;
    return new Promise<ClientResponse>((resolve, reject) => {
      const deadline = this.clock.nowMs() + options.timeoutMs;
      this.#pending.set(requestId, { resolve, reject, deadline });
      this.#timer.add(deadline);
      this.#sendRequest(requestId, body, options);
    });
  }

  /**
   * Opens a stream: every response carrying the returned request id goes to
   * `handler` until `closeStream(id)` or the connection ends (then `onClose`).
   * Throws TinyKvError when the connection is closed or too busy.
   */
  openStream(body: RequestBody, handler: StreamHandler, options: CallOptions): number {
    if (this.#closedError) throw this.#closedError;
    if (this.#pending.size + this.#streams.size >= CLIENT_INFLIGHT_MAX) {
      throw new TinyKvError("UNAVAILABLE", "too many requests in flight", false);
    }
    const requestId = this.#nextId++;
    this.#streams.set(requestId, handler);
    this.#sendRequest(requestId, body, options);
    return requestId;
  }

  /** Stops routing a stream's responses (later ones are dropped). */
  closeStream(requestId: number): void {
    this.#streams.delete(requestId);
  }

  #sendHello(h: PeerHello): void {
    const value = create(HelloSchema, {
      nodeId: BigInt(h.nodeId),
      clusterToken: h.clusterToken ?? "",
      address: h.address ?? "",
    });
    this.#send(encodeWireFrameParts({ case: "hello", value }));
  }

  #sendRequest(requestId: number, body: RequestBody, options: CallOptions): void {
    const init = {
      requestId,
      clientId: options.clientId ?? 0,
      sequence: options.sequence ?? 0,
      ackedSequence: options.ackedSequence ?? 0,
      timeoutMs: Math.min(0xffff_ffff, Math.ceil(options.timeoutMs)),
      adminToken: options.adminToken ?? "",
      authToken: this.authToken,
      body,
      route: options.route,
    };
    // A put, get or delete is written by hand (client_hot_codec.ts); the rest by protobuf-es.
    const hot = encodeHotRequestFrame(init);
    if (hot !== undefined) return this.#send([hot]);
    const request = create(ClientRequestSchema, {
      ...init,
      requestId: BigInt(requestId),
      clientId: BigInt(init.clientId),
      sequence: BigInt(init.sequence),
      ackedSequence: BigInt(init.ackedSequence),
    });
    this.#send(encodeWireFrameParts({ case: "request", value: request }));
  }

  /** Times out requests past their deadline (unless a response is still arriving). */
  #expire(now: number): number {
    const receiving = this.#receivingFrame();
    let next = Infinity;
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) next = Math.min(next, p.deadline);
      else if (receiving) {
        p.deadline = now + PROGRESS_WINDOW_MS;
        next = Math.min(next, p.deadline);
      } else {
        this.#pending.delete(id);
        p.reject(new TinyKvError("TIMEOUT", `no response from ${this.address} in time`, true));
      }
    }
    return next;
  }

  /** A response frame is partly received and bytes arrived within the progress window. */
  #receivingFrame(): boolean {
    return this.#decoder.bufferedBytes > 0 &&
      this.clock.nowMs() - this.#lastDataMs < PROGRESS_WINDOW_MS;
  }

  #send(parts: Uint8Array[]): void {
    const first = this.#outbox.length === 0;
    this.#outbox.push(...parts);
    if (first) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const frames = this.#outbox;
    this.#outbox = [];
    if (frames.length === 0 || this.#closedError) return;
    writeParts((bytes) => this.conn.write(bytes), frames);
  }

  #onData(chunk: Uint8Array): void {
    this.#lastDataMs = this.clock.nowMs();
    try {
      for (const payload of this.#decoder.push(chunk)) {
        const frame = decodeWireFrame(payload);
        if (frame.body.case !== "response") throw new Error(`unexpected ${frame.body.case} frame`);
        const response = frame.body.value;
        const id = u64ToNumber(response.requestId, "request id");
        const pending = this.#pending.get(id);
        if (pending === undefined) {
          this.#streams.get(id)?.onResponse(response); // else timed out already
          continue;
        }
        this.#pending.delete(id);
        pending.resolve(response);
      }
      if (this.#pending.size === 0) this.#timer.clear(); // an idle client holds no timer
    } catch (err) {
      // A TLS record (alert 0x15 or handshake 0x16, version 3.x) where a frame should start.
      const tls = (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03;
      const hint = tls ? " (the node speaks TLS: connect with TLS, e.g. --tls-ca FILE)" : "";
      const message = `bad response from ${this.address}: ${errorMessage(err)}${hint}`;
      // A TLS port never reads our frames as requests (nothing was applied), and asking it
      // again cannot succeed: that is a configuration error, not a lost connection.
      if (tls) this.#fail(message, "FAILED_PRECONDITION", false);
      else this.#fail(message);
      this.conn.close();
    }
  }

  #fail(message: string, code: ClientErrorCode = "CONNECTION_LOST", unknown = true): void {
    if (this.#closedError) return;
    this.#closedError = new TinyKvError(code, message, unknown);
    this.#timer.clear();
    for (const p of this.#pending.values()) p.reject(this.#closedError);
    this.#pending.clear();
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const s of streams) s.onClose(this.#closedError);
  }

  close(): void {
    this.#fail(`connection to ${this.address} closed by the client`);
    this.conn.close();
  }
}
