/**
 * Followers forward writes to the leader over the leader's protobuf port, so
 * a client (RESP or protobuf) can write through any node. The forwarded
 * request keeps the client's id and sequence, so the leader's dedup still
 * holds across the hop. A leader that turns out not to lead answers
 * NOT_LEADER, which becomes UNAVAILABLE here: not applied, retry.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ClientResponse,
  type ClientResponseSchema,
  ErrorCode,
  RedisBatchResponseSchema,
  type RedisRequestSchema,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  type CallOptions,
  ClientConnection,
  type PeerHello,
  type RequestBody,
} from "../../client/connection.ts";
import { TinyKvError } from "../../client/errors.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { Clock, Net } from "../../platform/types.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";

/**
 * How a node's forwarders introduce themselves: as a peer when the cluster has a token
 * (which proves it), else as a plain client, as before authentication existed.
 */
export function peerHelloOf(
  o: {
    readonly id: number;
    readonly clusterToken?: string;
    readonly peers: ReadonlyMap<number, string>;
  },
): PeerHello | undefined {
  if (o.clusterToken === undefined) return undefined;
  return { nodeId: o.id, clusterToken: o.clusterToken, address: o.peers.get(o.id) };
}

export type RedisRequestInit = MessageInitShape<typeof RedisRequestSchema>;
export type ClientResponseInit = MessageInitShape<typeof ClientResponseSchema>;

/** A ServiceError as the error of an outcome (its leader hint is not kept). */
export function errorOf(e: ServiceError) {
  return { code: e.code, message: e.message, compactedRevision: BigInt(e.compactedRevision) };
}

/**
 * Runs a Redis batch request by request (each on its own: forwarded, or routed to its region);
 * each request's answer or error becomes its own outcome in the batch's.
 */
export async function eachRedisRequest(
  requests: readonly RedisRequestInit[],
  run: (command: CommandInit) => Promise<CommandOutcome>,
): Promise<CommandOutcome> {
  return redisBatchOutcome(await eachRedisOutcome(requests, run));
}

/** `eachRedisRequest`'s outcomes, one per request in order. */
export async function eachRedisOutcome(
  requests: readonly RedisRequestInit[],
  run: (command: CommandInit) => Promise<CommandOutcome>,
): Promise<ClientResponseInit[]> {
  const sent = requests.map((value) => run({ body: { case: "redis", value } }));
  const outcomes: ClientResponseInit[] = [];
  for (const s of await Promise.allSettled(sent)) {
    if (s.status === "fulfilled") outcomes.push({ body: s.value });
    else if (s.reason instanceof ServiceError) outcomes.push({ error: errorOf(s.reason) });
    else throw s.reason;
  }
  return outcomes;
}

/** A Redis batch's outcome made of its requests' outcomes. */
export function redisBatchOutcome(outcomes: ClientResponseInit[]): CommandOutcome {
  return { case: "redisBatch", value: create(RedisBatchResponseSchema, { outcomes }) };
}

export class LeaderForwarder {
  #conn: Promise<ClientConnection> | undefined;
  /** `#conn` once it opened (for `#address`), until it is dropped. */
  #open: ClientConnection | undefined;
  #address = "";

  /**
   * `hello` introduces this node to the leader as a peer: with authentication on, the leader
   * serves a follower's forwarded requests on the strength of the cluster token (the follower
   * checked its client's permissions).
   */
  constructor(readonly net: Net, readonly clock: Clock, readonly hello?: PeerHello) {}

  /** Forwards a replicated command; resolves with the body of its applied outcome. */
  async forward(
    address: string,
    command: CommandInit,
    timeoutMs: number,
  ): Promise<CommandOutcome> {
    const b = command.body;
    // The leader's own housekeeping has no client request: a node that lost the lead drops it.
    if (b?.case === "expireKeys") throw new ServiceError(ErrorCode.NOT_LEADER, "not the leader");
    if (b?.case === "redisBatch") {
      return this.#forwardBatch(address, b.value.requests ?? [], timeoutMs);
    }
    const body: RequestBody = b;
    let response;
    try {
      const conn = await this.#opened(address, timeoutMs);
      response = await conn.call(body, {
        timeoutMs,
        clientId: Number(command.clientId ?? 0n),
        sequence: Number(command.sequence ?? 0n),
        ackedSequence: Number(command.ackedSequence ?? 0n),
      });
    } catch (err) {
      if (!(err instanceof TinyKvError)) throw err;
      this.#conn = undefined;
      this.#open = undefined;
      const code = err.outcomeUnknown ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE;
      throw new ServiceError(code, `forwarding to the leader at ${address}: ${err.message}`);
    }
    const e = response.error;
    if (e !== undefined) {
      const code = e.code === ErrorCode.NOT_LEADER ? ErrorCode.UNAVAILABLE : e.code;
      throw new ServiceError(code, e.message, 0, "", Number(e.compactedRevision));
    }
    return response.body;
  }

  /**
   * A batch of Redis requests goes to the leader one request at a time, all sent in this
   * turn and so in order on the one connection (the protobuf port takes single requests);
   * each request's answer or error becomes its own outcome in the batch's.
   */
  async #forwardBatch(
    address: string,
    requests: readonly RedisRequestInit[],
    timeoutMs: number,
  ): Promise<CommandOutcome> {
    return await eachRedisRequest(
      requests,
      (command) => this.forward(address, command, timeoutMs),
    );
  }

  /**
   * Sends a request that is not a replicated command (no client id or sequence: a lease
   * keep-alive is answered by the leader's memory) and resolves with the leader's whole
   * response, error included; a connection problem becomes UNAVAILABLE or TIMEOUT.
   */
  forwardRequest(
    address: string,
    body: RequestBody,
    timeoutMs: number,
    adminToken?: string,
  ): Promise<ClientResponse> {
    return this.call(address, body, { timeoutMs, adminToken });
  }

  /** Sends any request with its call options (a route, a client id); as `forwardRequest`. */
  async call(address: string, body: RequestBody, options: CallOptions): Promise<ClientResponse> {
    try {
      const conn = await this.#opened(address, options.timeoutMs);
      return await conn.call(body, options);
    } catch (err) {
      if (!(err instanceof TinyKvError)) throw err;
      this.#conn = undefined;
      this.#open = undefined;
      const code = err.outcomeUnknown ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE;
      throw new ServiceError(code, `forwarding to the leader at ${address}: ${err.message}`);
    }
  }

  /**
   * The connection to `address`, open within `timeoutMs`. A request's timeout starts once its
   * connection is open, and a connect has no bound of its own (a SYN dropped by a peer whose
   * accept queue is full is retried by the kernel for minutes): unbounded, one such connect
   * stalled every caller awaiting it — the split check waiting for a child's id from placement
   * stopped for good (docs/regions.md). A connect past the bound is dropped (closed if it opens
   * later) and the next request connects again.
   */
  #opened(address: string, timeoutMs: number): Promise<ClientConnection> {
    const open = this.#open;
    // The usual case, an open connection to the same leader: no timer, no new promise chain.
    if (open !== undefined && !open.closed && this.#address === address) {
      return Promise.resolve(open);
    }
    const opening = this.#connection(address);
    const pending = this.#conn;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.#conn === pending) this.#conn = undefined;
        this.#open = undefined;
        pending?.then((c) => c.close(), () => {});
        const why = `no connection to ${address} within ${timeoutMs} ms`;
        reject(new TinyKvError("UNAVAILABLE", why, false));
      }, timeoutMs);
      opening.then(
        (c) => (this.clock.clearTimeout(timer), resolve(c)),
        (err) => (this.clock.clearTimeout(timer), reject(err)),
      );
    });
  }

  #connection(address: string): Promise<ClientConnection> {
    if (this.#conn === undefined || this.#address !== address) {
      this.#conn?.then((c) => c.close(), () => {});
      this.#address = address;
      this.#open = undefined;
      this.#conn = ClientConnection.open(this.net, this.clock, address, this.hello);
    }
    const current = this.#conn;
    return current.then((c) => {
      if (!c.closed) {
        if (this.#conn === current) this.#open = c;
        return c;
      }
      this.#conn = undefined;
      this.#open = undefined;
      return this.#connection(address);
    });
  }

  close(): void {
    this.#conn?.then((c) => c.close(), () => {});
    this.#conn = undefined;
    this.#open = undefined;
  }
}
