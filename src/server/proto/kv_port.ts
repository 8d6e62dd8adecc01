/**
 * The protobuf TCP port (docs/design.md §4): clients and peers on the same port, in
 * length-prefixed `Frame`s. A client sends requests (many in flight, matched by request id)
 * and gets responses in completion order. A peer first sends `Hello` with its node id (and
 * the cluster token if configured; a batch peer its batch version), then Raft messages.
 * Bad input — an oversized length prefix, bytes that are not a Frame, a frame of the wrong
 * kind — gets an error response (request id 0) and the connection is closed.
 */
import type { Authenticator } from "../../auth/authenticator.ts";
import { create } from "@bufbuild/protobuf";
import {
  type ClientRequest,
  ClientResponseSchema,
  ErrorCode,
  type Hello,
  type RaftMessage,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  ANNOUNCED_BUFFER_START_BYTES,
  CONN_WRITE_QUEUE_BYTES_MAX,
  CONNECTIONS_MAX,
  FRAME_BYTES_MAX,
} from "../../limits.ts";
import type { Conn, Listener, Net } from "../../platform/types.ts";
import { DecodeError } from "../../util/coding.ts";
import { errorMessage } from "../../util/errors.ts";
import { FrameDecoder, FrameTooLargeError } from "../../util/frame.ts";
import { u64ToNumber } from "../../util/ids.ts";
import {
  decodeWireFrame,
  encodeWireFrame,
  encodeWireFrameParts,
  WireError,
  writeParts,
} from "../../wire/frame_codec.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import { handleRequest, type ResponseInit } from "./request_handler.ts";
import { fastResponseFrame } from "./fast_response_frame.ts";
import { checkPeerCertificate } from "./peer_certificate.ts";
import type { AdminAccess } from "./admin_handler.ts";
import type { WatchService } from "../watch/watch_types.ts";
import { isWatchRequest, WatchStreams } from "./watch_streams.ts";
import { handleLease, isLeaseBody } from "./lease_handler.ts";
import type { LeaseService } from "../node/lease_service.ts";
import { ConnectionAuth, handleAuthenticate, type Verdict } from "./connection_auth.ts";
import { answerBatchHello } from "./batch_hello.ts";

/** Where Raft messages from authenticated peers go. */
export interface PeerSink {
  onRaftMessage(from: number, message: RaftMessage): void;
  /** Takes a frame a fast path decodes (appends, heartbeats, answers); false: not taken. */
  onRaftFrame?(from: number, payload: Uint8Array): boolean;
  /** A peer introduced itself; `address` is where it listens ("" if it did not say). */
  onPeerHello?(id: number, address: string): void;
  /** Where membership or `--peers` says node `id` listens (its certificate must name it). */
  configuredAddress?(id: number): string | undefined;
  /** The region batch version taken through onRaftFrame (batch_hello.ts); absent: none. */
  readonly batchVersion?: number;
  /** How this node runs its regions (region_mode.ts); a peer's Hello of another is refused. */
  readonly regionMode?: () => number;
  readonly selfId?: number;
}

export interface KvPortOptions {
  readonly net: Net;
  readonly hostname: string;
  readonly port: number;
  readonly service: KvService;
  readonly consistency?: Consistency;
  readonly peers?: PeerSink;
  /** Admin requests (membership, transfer, snapshot); refused when absent. */
  readonly admin?: AdminAccess;
  /** The node's watches (watch_create/watch_cancel); refused when absent. */
  readonly watch?: WatchService;
  /** Lease requests (docs/coordination.md); refused when absent. */
  readonly leases?: LeaseService;
  /** When set, peers must present it in Hello. */
  readonly clusterToken?: string;
  /** Users and permissions; absent: authentication is off. */
  readonly auth?: Authenticator;
  /** TLS with a CA: a peer Hello needs a client certificate the CA signed (docs/tls.md). */
  readonly requirePeerCertificate?: boolean;
  readonly connectionsMax?: number;
}

class PortConnection {
  readonly #decoder = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
  #peerId = 0;
  #outbox: Uint8Array[] = [];
  #outboxBytes = 0;
  #closed = false;
  /** Opened at the first watch request. */
  #watches: WatchStreams | undefined;
  readonly #auth: ConnectionAuth;
  /** Requests waiting behind a token's first check, in arrival order. */
  #checking: Promise<void> | undefined;

  constructor(readonly conn: Conn, readonly o: KvPortOptions, readonly onClose: () => void) {
    this.#auth = new ConnectionAuth(o.auth, o.admin?.token);
    conn.setHandlers({
      onData: (c) => this.#onData(c),
      onDrain: () => this.#watches?.drain(),
      onClose: () => this.#closeQuietly(),
    });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    try {
      for (const payload of this.#decoder.push(chunk)) this.#onFrame(payload);
    } catch (err) {
      if (err instanceof FrameTooLargeError) this.#reject(ErrorCode.TOO_LARGE, err.message);
      else if (err instanceof WireError || err instanceof DecodeError) {
        this.#reject(ErrorCode.INVALID_ARGUMENT, err.message);
      } else throw err;
    }
  }

  #onFrame(payload: Uint8Array): void {
    if (this.#peerId !== 0 && this.o.peers?.onRaftFrame?.(this.#peerId, payload)) return;
    const frame = decodeWireFrame(payload);
    const b = frame.body;
    if (b.case === "request") this.#onRequest(b.value);
    else if (b.case === "hello") this.#hello(b.value);
    else if (b.case === "raft") {
      if (this.#peerId === 0 || this.o.peers === undefined) {
        throw new WireError("Raft message before a peer Hello");
      }
      this.o.peers.onRaftMessage(this.#peerId, b.value);
    } else throw new WireError(`unexpected ${b.case} frame from a client`);
  }

  #onRequest(request: ClientRequest): void {
    if (request.body.case === "authenticate") {
      this.#reply(request.requestId, handleAuthenticate(this.o.auth, request.body.value));
      return;
    }
    const verdict = this.#auth.check(request);
    if (!(verdict instanceof Promise) && this.#checking === undefined) {
      this.#serve(request, verdict);
      return;
    }
    // A token seen for the first time is checked asynchronously; requests behind it wait,
    // so a connection's requests (a watch and its cancel) still start in order.
    const checked = (this.#checking ?? Promise.resolve()).then(() => verdict)
      .then((v) => this.#serve(request, v))
      .catch((err) => this.#respond({ requestId: request.requestId, error: internal(err) }));
    this.#checking = checked;
    checked.then(() => {
      if (this.#checking === checked) this.#checking = undefined;
    });
  }

  #serve(request: ClientRequest, v: Verdict): void {
    const requestId = request.requestId;
    if (!v.ok) {
      this.#respond({ ...v.refusal, requestId });
      return;
    }
    if (isWatchRequest(request)) {
      this.#watches ??= new WatchStreams(this.o.watch, {
        send: (r) => this.#respond(r),
        queuedBytes: () => this.conn.queuedBytes() + this.#outboxBytes,
        socketBacklogged: () => this.conn.queuedBytes() > 0,
      });
      this.#watches.request(request);
      return;
    }
    const consistency = this.o.consistency ?? "linearizable";
    const admin = this.o.admin;
    // An admin user (or a trusted peer) needs no admin token besides its own credential.
    const access = admin !== undefined && this.#auth.adminByRole(v)
      ? { service: admin.service }
      : admin;
    this.#reply(
      requestId,
      isLeaseBody(request.body)
        ? handleLease(request, request.body, this.o.leases, v.principal)
        : handleRequest(request, this.o.service, consistency, access),
    );
  }

  #reply(requestId: bigint, handled: Promise<ResponseInit>): void {
    handled.then(
      (r) => this.#respond({ ...r, requestId }),
      (err) => this.#respond({ requestId, error: internal(err) }),
    );
  }

  #hello(hello: Hello): void {
    const nodeId = u64ToNumber(hello.nodeId, "node id");
    const token = this.o.clusterToken;
    if (nodeId !== 0 && token !== undefined && hello.clusterToken !== token) {
      throw new WireError("peer presented a wrong cluster token");
    }
    if (nodeId !== 0 && this.o.requirePeerCertificate) {
      checkPeerCertificate(nodeId, this.conn, this.o.peers?.configuredAddress?.(nodeId));
    }
    this.#peerId = nodeId;
    // The cluster token is what proves a peer (TLS client certificates may add to it);
    // without one, a Hello claiming a node id earns no trust for requests.
    if (nodeId !== 0 && token !== undefined) this.#auth.trustPeer();
    if (nodeId !== 0) this.o.peers?.onPeerHello?.(nodeId, hello.address);
    if (hello.batchVersion !== 0) this.conn.write(answerBatchHello(nodeId, hello, this.o.peers));
  }

  #respond(response: ResponseInit): void {
    if (this.#closed) return;
    const fast = fastResponseFrame(response);
    const parts = fast !== undefined ? [fast] : encodeWireFrameParts({
      case: "response",
      value: create(ClientResponseSchema, response),
    });
    const first = this.#outbox.length === 0;
    this.#outbox.push(...parts);
    for (const p of parts) this.#outboxBytes += p.length;
    // Coalesce the responses finished in one turn into a single socket write.
    if (first) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const frames = this.#outbox;
    this.#outbox = [];
    this.#outboxBytes = 0;
    if (this.#closed || frames.length === 0) return;
    writeParts((bytes) => this.conn.write(bytes), frames);
    if (this.conn.queuedBytes() > CONN_WRITE_QUEUE_BYTES_MAX) this.#closeQuietly(true);
  }

  /** Tells the peer why, then closes: the stream cannot be trusted past bad input. */
  #reject(code: ErrorCode, message: string): void {
    this.#flush();
    const error = { code, message, leaderId: 0n, leaderAddress: "" };
    const frame = encodeWireFrame({
      case: "response",
      value: create(ClientResponseSchema, { requestId: 0n, error }),
    });
    this.conn.write(frame);
    this.#closeQuietly(true);
  }

  #closeQuietly(closeSocket = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watches?.close();
    if (closeSocket) this.conn.close();
    this.onClose();
  }
}

/** A get's answer through the hand-written encoder (src/wire/get_response_frame.ts). */
function internal(err: unknown) {
  return { code: ErrorCode.UNAVAILABLE, message: `internal error: ${errorMessage(err)}` };
}

export class KvPort {
  readonly #connections = new Set<PortConnection>();
  #listener: Listener | undefined;
  refusedConnections = 0;

  private constructor(readonly options: KvPortOptions) {}

  static async start(options: KvPortOptions): Promise<KvPort> {
    const port = new KvPort(options);
    const max = options.connectionsMax ?? CONNECTIONS_MAX;
    port.#listener = await options.net.listen(
      { hostname: options.hostname, port: options.port },
      (conn) => {
        if (port.#connections.size >= max) {
          port.refusedConnections++;
          conn.close();
          return;
        }
        const c: PortConnection = new PortConnection(conn, options, () => {
          port.#connections.delete(c);
        });
        port.#connections.add(c);
      },
    );
    return port;
  }

  get port(): number {
    return this.#listener?.port ?? this.options.port;
  }

  get connections(): number {
    return this.#connections.size;
  }

  async close(): Promise<void> {
    for (const c of [...this.#connections]) c.conn.close();
    await this.#listener?.close();
  }
}
