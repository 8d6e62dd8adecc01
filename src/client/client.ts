/**
 * The TinyKV client: a list of endpoints, leader discovery by NOT_LEADER
 * redirects, and retries with exponential backoff and jitter until a deadline.
 *
 * Retries are safe (docs/design.md §2.7): every write carries this client's id and a
 * fresh sequence number, and a retry reuses them, so a node that already
 * applied the write returns the saved result instead of applying it again.
 * The client acknowledges (`ackedSequence`) every sequence below the oldest one
 * still in flight, which lets servers forget old results.
 */
import { type ClientResponse, ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, Net } from "../platform/types.ts";
import { CLIENT_ENDPOINTS_MAX, CLIENT_MEMBER_SYNC_MS } from "../limits.ts";
import { payloadBytes, transferAllowanceMs } from "../wire/transfer_time.ts";
import { assert } from "../util/assert.ts";
import { createPrng, type Prng } from "../util/prng.ts";
import type { CallOptions, ClientConnection, RequestBody } from "./connection.ts";
import type { AttemptRouter, RoutedTarget } from "./attempt_router.ts";
import { authenticate, type Credentials, credentialsOf, openAuthenticated } from "./client_auth.ts";
import { errorOfWire, finalError, isRetryable, TinyKvError } from "./errors.ts";
import { checkTimeoutOption, heldAnswerMs } from "./timeout_option.ts";
import { clientTlsConfig, type ClientTlsOptions, tlsDialingNet } from "./tls_options.ts";

export interface ClientOptions {
  /** `host:port` of one or more nodes' protobuf ports. */
  readonly endpoints: readonly string[];
  readonly net: Net;
  readonly clock: Clock;
  /** Seed for the client id and backoff jitter (use `platform.randomSeed()`). */
  readonly seed: number;
  /**
   * Total time one operation may take, retries included (default 10 s, plus
   * 1 s per CLIENT_TIMEOUT_BYTES_PER_SECOND bytes of request payload). A
   * positive whole number up to CLIENT_TIMEOUT_MS_MAX; anything else is
   * refused by the constructor (INVALID_ARGUMENT).
   */
  readonly deadlineMs?: number;
  /** Time one attempt waits for its response (default 3 s, plus the same allowance; same rule). */
  readonly attemptTimeoutMs?: number;
  /** The cluster's admin token, for membership/transfer/snapshot requests. */
  readonly adminToken?: string;
  /** With authentication on: who to log in as on each new connection (client_auth.ts). */
  readonly user?: string;
  readonly password?: string;
  /** Connect with TLS (docs/tls.md): the CA to trust, a client certificate and key. */
  readonly tls?: ClientTlsOptions;
  /** Send keyed requests and scans to their region's leader (docs/regions.md#routing). */
  readonly routing?: boolean;
}

const BACKOFF_MIN_MS = 10;
const DEADLINE_MS = 10_000;
const ATTEMPT_TIMEOUT_MS = 3000;

const BACKOFF_MAX_MS = 1000;

/** Re-exported for callers that size their own timeouts like the client does. */
export { payloadBytes, transferAllowanceMs };

export class ClientCore {
  readonly clientId: number;
  readonly #prng: Prng;
  readonly #connections = new Map<string, Promise<ClientConnection>>();
  #leader: string;
  #endpointIndex = 0;
  /**
   * The endpoints tried in turn: the configured ones plus leaders learned from
   * redirects, so a client keeps finding the cluster after every node it was
   * configured with has been replaced (membership changes).
   */
  #endpoints: string[];
  #lastMemberSyncMs = Number.NEGATIVE_INFINITY;
  #nextSequence = 1;
  readonly #inflightSequences = new Set<number>();
  #closed = false;
  readonly #credentials: Credentials | undefined;
  readonly #net: Net;

  constructor(readonly options: ClientOptions) {
    if (options.endpoints.length === 0) {
      throw new TinyKvError("INVALID_ARGUMENT", "a client needs at least one endpoint", false);
    }
    checkTimeoutOption("deadlineMs", options.deadlineMs);
    checkTimeoutOption("attemptTimeoutMs", options.attemptTimeoutMs);
    this.#credentials = credentialsOf(options);
    this.#prng = createPrng(options.seed);
    this.clientId = 1 + this.#prng.int(0x7fff_ffff) * 0x20_0000 + this.#prng.int(0x20_0000);
    this.#leader = options.endpoints[0];
    this.#endpoints = [...options.endpoints];
    const tls = options.tls;
    this.#net = tls === undefined ? options.net : tlsDialingNet(options.net, clientTlsConfig(tls));
  }

  /** The endpoint the client currently believes leads. */
  get leader(): string {
    return this.#leader;
  }

  /** The endpoints tried in turn (configured, then learned), for tests and diagnostics. */
  get endpoints(): readonly string[] {
    return this.#endpoints;
  }

  /**
   * Runs a read (no sequence) with retries, until `deadlineMs` (default: the
   * client's) has passed: a lease keep-alive gives up when its lease would.
   */
  read(body: RequestBody, deadlineMs?: number, router?: AttemptRouter): Promise<ClientResponse> {
    return this.#withRetries(body, undefined, deadlineMs, router);
  }

  /** Runs a write with a fresh sequence, reused by every retry (routed by `router` if given). */
  async write(body: RequestBody, router?: AttemptRouter): Promise<ClientResponse> {
    const sequence = this.#nextSequence++;
    this.#inflightSequences.add(sequence);
    try {
      return await this.#withRetries(body, sequence, undefined, router);
    } finally {
      this.#inflightSequences.delete(sequence);
    }
  }

  #ackedSequence(): number {
    let oldest = this.#nextSequence;
    for (const s of this.#inflightSequences) if (s < oldest) oldest = s;
    return oldest - 1;
  }

  async #withRetries(
    body: RequestBody,
    sequence: number | undefined,
    deadlineMs = this.options.deadlineMs ?? DEADLINE_MS,
    router?: AttemptRouter,
  ): Promise<ClientResponse> {
    const clock = this.options.clock;
    // Large values take longer to move, and some answers are held on purpose: both timeouts grow.
    const allowance = transferAllowanceMs(payloadBytes(body)) + heldAnswerMs(body);
    const deadline = clock.nowMs() + deadlineMs + allowance;
    const attemptMs = (this.options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS) + allowance;
    let backoff = BACKOFF_MIN_MS;
    let lastError: TinyKvError | undefined;
    let unknown = false;
    for (let attempt = 0;; attempt++) {
      const left = deadline - clock.nowMs();
      // The first attempt always runs, however short the deadline (the loop
      // must end with an error to report).
      if (attempt > 0 && left <= 0) break;
      let target = this.#leader;
      let routed: RoutedTarget | undefined;
      try {
        routed = await router?.target();
        target = routed?.address || target;
        const conn = await this.#connection(target);
        const response = await this.#call(conn, body, {
          timeoutMs: Math.max(1, Math.min(left, attemptMs)),
          clientId: sequence === undefined ? 0 : this.clientId,
          sequence: sequence ?? 0,
          ackedSequence: sequence === undefined ? 0 : this.#ackedSequence(),
          adminToken: this.options.adminToken,
          route: routed?.route,
        });
        const e = response.error;
        if (e === undefined) {
          this.#maybeSyncMembers(conn);
          return response;
        }
        lastError = errorOfWire(e);
      } catch (err) {
        if (!(err instanceof TinyKvError)) throw err;
        lastError = err;
        if (err.code === "CONNECTION_LOST" || err.code === "UNAVAILABLE") this.#forget(target);
      }
      unknown ||= lastError.outcomeUnknown;
      const verdict = router?.failed(lastError, routed);
      if (verdict === "retry") continue; // the router bounds these (CLIENT_ROUTE_ATTEMPTS_MAX)
      if (verdict instanceof TinyKvError) throw finalError(verdict, unknown, false);
      if (!this.#retryable(lastError)) break;
      const redirected = this.#redirect(lastError, target);
      // Follow a fresh leader hint at once; otherwise back off with jitter.
      if (!redirected || attempt > this.#endpoints.length) {
        await this.#sleep(Math.min(backoff, Math.max(0, deadline - clock.nowMs())));
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      }
    }
    assert(lastError !== undefined, "retry loop ended without an attempt");
    throw finalError(lastError, unknown, this.#retryable(lastError));
  }

  /** One attempt; a token that expired is renewed once and the request sent again. */
  async #call(conn: ClientConnection, body: RequestBody, o: CallOptions): Promise<ClientResponse> {
    const response = await conn.call(body, o);
    const creds = this.#credentials;
    if (response.error?.code !== ErrorCode.TOKEN_EXPIRED || creds === undefined) return response;
    await authenticate(conn, creds, o.timeoutMs);
    return await conn.call(body, o);
  }

  /**
   * Whether to try again. CORRUPTION is about the node that answered (its own data is damaged,
   * or it relayed the refusal of a damaged leader), not about the request: another node may
   * serve it, so a client with other endpoints moves on; with one endpoint it reports it at once.
   */
  #retryable(err: TinyKvError): boolean {
    return isRetryable(err) || (err.code === "CORRUPTION" && this.#endpoints.length > 1);
  }

  /** Picks the next target; true when a leader hint named a new endpoint. */
  #redirect(err: TinyKvError, tried: string): boolean {
    if (err.code === "NOT_LEADER" && err.leaderAddress && err.leaderAddress !== tried) {
      this.#leader = err.leaderAddress;
      const known = this.#endpoints.includes(err.leaderAddress);
      if (!known && this.#endpoints.length < CLIENT_ENDPOINTS_MAX) {
        this.#endpoints.push(err.leaderAddress);
      }
      return true;
    }
    // A TIMEOUT moves on too: a paused or cut-off node never answers, and
    // retrying only it would stall the client until the deadline.
    if (
      err.code === "NOT_LEADER" || err.code === "UNAVAILABLE" || err.code === "CONNECTION_LOST" ||
      err.code === "TIMEOUT" || err.code === "CORRUPTION"
    ) {
      const eps = this.#endpoints;
      this.#endpointIndex = (this.#endpointIndex + 1) % eps.length;
      this.#leader = eps[this.#endpointIndex];
    }
    return false;
  }

  /**
   * Refreshes the endpoint rotation from the cluster's member list (at most
   * every CLIENT_MEMBER_SYNC_MS, in the background): a node serving through
   * follower forwarding never redirects, so without this a client configured
   * with nodes that were all later replaced would lose the cluster.
   */
  #maybeSyncMembers(conn: ClientConnection): void {
    const now = this.options.clock.nowMs();
    if (now - this.#lastMemberSyncMs < CLIENT_MEMBER_SYNC_MS) return;
    this.#lastMemberSyncMs = now;
    conn.call({ case: "status", value: {} }, { timeoutMs: 1000 }).then((r) => {
      if (r.body.case !== "status") return;
      const members = r.body.value.members.map((m) => m.address).filter((a) => a !== "");
      if (members.length === 0) return;
      // The configured endpoints first: the cap never drops what the caller gave.
      const merged = [...new Set([...this.options.endpoints, ...members])];
      this.#endpoints = merged.slice(0, CLIENT_ENDPOINTS_MAX);
      this.#endpointIndex %= this.#endpoints.length;
    }, () => {});
  }

  #sleep(ms: number): Promise<void> {
    const jittered = ms / 2 + this.#prng.nextFloat() * (ms / 2);
    return new Promise((resolve) => this.options.clock.setTimeout(resolve, jittered));
  }

  #connection(address: string): Promise<ClientConnection> {
    let c = this.#connections.get(address);
    if (c === undefined) {
      const o = this.options;
      const loginMs = o.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
      c = openAuthenticated(this.#net, o.clock, address, this.#credentials, loginMs);
      this.#connections.set(address, c);
      c.catch(() => this.#connections.delete(address));
    }
    return c.then((conn) => {
      if (!conn.closed) return conn;
      this.#connections.delete(address);
      return this.#connection(address);
    });
  }

  /** The shared connection to `address`, for long-lived streams (watches). */
  connectionTo(address: string): Promise<ClientConnection> {
    if (this.#closed) {
      return Promise.reject(new TinyKvError("CONNECTION_LOST", "the client is closed", false));
    }
    return this.#connection(address);
  }

  /** Drops the connection to `address` after it failed a stream. */
  dropConnection(address: string): void {
    this.#forget(address);
  }

  #forget(address: string): void {
    const c = this.#connections.get(address);
    this.#connections.delete(address);
    c?.then((conn) => conn.close(), () => {});
  }

  /** Whether close() was called (long-lived streams end then). */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    for (const address of [...this.#connections.keys()]) this.#forget(address);
  }
}
