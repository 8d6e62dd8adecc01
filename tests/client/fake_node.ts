/**
 * A scripted stand-in for a TinyKV node's protobuf port, over real sockets,
 * for testing the client library before (and independently of) the server.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ClientRequest,
  ClientResponseSchema,
  ErrorCode,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Conn, Listener } from "../../src/platform/types.ts";
import { FrameDecoder } from "../../src/util/frame.ts";
import { ANNOUNCED_BUFFER_START_BYTES, FRAME_BYTES_MAX } from "../../src/limits.ts";
import { decodeWireFrame, encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

type ResponseInit = MessageInitShape<typeof ClientResponseSchema>;

export type Handler = (
  req: ClientRequest,
  reply: (r: ResponseInit) => void,
  conn: Conn,
) => void;

export class FakeNode {
  readonly requests: ClientRequest[] = [];
  /**
   * `Regions` requests received. Unless `answersRegions`, they are refused with INVALID_ARGUMENT
   * as by a node that does not know them (the routing client then goes unrouted), and neither
   * reach the handler nor appear in `requests`.
   */
  regionsAsked = 0;
  answersRegions = false;
  #listener: Listener | undefined;
  readonly #conns = new Set<Conn>();

  constructor(public handler: Handler) {}

  get address(): string {
    return `127.0.0.1:${this.#listener?.port}`;
  }

  async start(): Promise<this> {
    this.#listener = await getPlatform().net.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
      const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
      this.#conns.add(conn);
      conn.setHandlers({
        onData: (chunk) => {
          for (const payload of dec.push(chunk)) {
            const frame = decodeWireFrame(payload);
            if (frame.body.case !== "request") continue;
            const req = frame.body.value;
            if (req.body.case === "regions" && !this.answersRegions) {
              this.regionsAsked++;
              const error = { code: ErrorCode.INVALID_ARGUMENT, message: "unknown request" };
              const response = create(ClientResponseSchema, { error, requestId: req.requestId });
              conn.write(encodeWireFrame({ case: "response", value: response }));
              continue;
            }
            this.requests.push(req);
            this.handler(req, (r) => {
              const response = create(ClientResponseSchema, { ...r, requestId: req.requestId });
              conn.write(encodeWireFrame({ case: "response", value: response }));
            }, conn);
          }
        },
      });
    });
    return this;
  }

  /** Stops listening and drops open connections (as a crashed node would). */
  async stop(): Promise<void> {
    for (const c of this.#conns) c.close();
    this.#conns.clear();
    await this.#listener?.close();
  }
}

/** A handler that answers NOT_LEADER, pointing at `leader`. */
export function follower(leader: () => string): Handler {
  return (_req, reply) =>
    reply({
      error: {
        code: ErrorCode.NOT_LEADER,
        message: "not the leader",
        leaderId: 1n,
        leaderAddress: leader(),
      },
    });
}

/** A leader with a map, applying each (client, sequence) once. */
export function leaderWithStore(store: Map<string, Uint8Array>, applied: string[]): Handler {
  const seen = new Map<string, ResponseInit["body"]>();
  return (req, reply) => {
    const key = `${req.clientId}/${req.sequence}`;
    const saved = req.sequence > 0n ? seen.get(key) : undefined;
    if (saved) return reply({ body: saved });
    const b = req.body;
    let body: ResponseInit["body"];
    if (b.case === "put") {
      store.set(fromUtf8(b.value.key), b.value.value);
      applied.push(`put ${fromUtf8(b.value.key)}`);
      body = {
        case: "write",
        value: { index: 7n, existed: false },
      };
    } else if (b.case === "get") {
      const v = store.get(fromUtf8(b.value.key));
      body = {
        case: "get",
        value: {
          found: v !== undefined,
          value: v ?? new Uint8Array(),
          version: 0n,
        },
      };
    } else {
      return reply({
        error: {
          code: ErrorCode.INVALID_ARGUMENT,
          message: "unsupported",
          leaderId: 0n,
          leaderAddress: "",
        },
      });
    }
    if (req.sequence > 0n) seen.set(key, body);
    reply({ body });
  };
}
