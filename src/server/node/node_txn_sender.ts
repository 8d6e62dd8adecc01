/**
 * A node's transport for transactions across regions (docs/transactions.md#on-nodes): the
 * `TxnRegionSender` under `RoutedTxnClient`, and the `TxnEnv` a coordinator or the lock resolver
 * runs in on this node. A request goes to the region's leader: this node's own
 * `RegionTxnService` when it leads the region, else a `RegionTxnRequest` to the leader's client
 * port (as a trusted peer). Routes are the descriptors of the regions this node holds and, for
 * the rest of the keyspace, those of the node's route cache, filled from placement
 * (remote_regions.ts): a node holding some regions sends a region it does not hold its requests
 * by that route, to the leader the cache names (else a voter, whose NOT_LEADER names it).
 * Answers map to the client's refusals: a stale route (`EPOCH_NOT_MATCH`, `REGION_NOT_FOUND`,
 * `KEY_NOT_IN_REGION`) forgets the cached route and refreshes the routes; no leader, a lost or
 * timed-out request retries (every Percolator request is idempotent); `INVALID_ARGUMENT` is a bug
 * of the sender.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { TxnEnv } from "../../txn/lock_resolver.ts";
import type { TxnReadReply, TxnReadRequest } from "../../txn/region_txn.ts";
import {
  RoutedTxnClient,
  type TxnRefusal,
  type TxnRegionSender,
  type TxnRoute,
} from "../../txn/routed_txn_client.ts";
import { decodeTxnReply, encodeTxnRequest, type TxnWriteReply } from "../../txn/txn_codec.ts";
import type { TxnWriteRequest } from "../../txn/txn_codec.ts";
import { decodeTxnReadReply, encodeTxnRead } from "../../txn/txn_read_codec.ts";
import { NODE_ROUTES_CACHED_MAX } from "../../limits_ops.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import type { AddressBook } from "../membership/address_book.ts";
import { LeaderForwarder, peerHelloOf } from "./leader_forwarder.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { ProposalTimestamps } from "./proposal_timestamps.ts";
import type { RegionHost } from "./region_host.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { RegionTxnCall, RegionTxnService } from "./region_txn_service.ts";
import type { RemoteRegions } from "./remote_regions.ts";

export interface NodeTxnSenderDeps {
  readonly o: ResolvedNodeOptions;
  readonly host: RegionHost;
  readonly addresses: AddressBook;
  readonly service: RegionTxnService;
  readonly timestamps: () => ProposalTimestamps | undefined;
  /** Routes and leaders of the regions this node does not hold (absent: it holds them all). */
  readonly remote?: RemoteRegions;
}

const EMPTY = new Uint8Array(0);

/** Whether two ranges (an empty end: unbounded) share a key. */
function overlapping(a: TxnRoute, b: TxnRoute): boolean {
  const beforeEnd = (start: Uint8Array, end: Uint8Array) =>
    end.length === 0 || compareBytes(start, end) < 0;
  return beforeEnd(a.start, b.end) && beforeEnd(b.start, a.end);
}

function routeOf(d: RegionDescriptor): TxnRoute {
  return { id: d.id, start: d.start, end: d.end, epoch: d.epoch };
}

const STALE: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.EPOCH_NOT_MATCH,
  ErrorCode.REGION_NOT_FOUND,
  ErrorCode.KEY_NOT_IN_REGION,
]);

function refusalOf(err: unknown): TxnRefusal {
  if (!(err instanceof ServiceError)) throw err;
  if (STALE.has(err.code)) return { kind: "stale" };
  if (err.code === ErrorCode.INVALID_ARGUMENT) return { kind: "invalid", message: err.message };
  return { kind: "unavailable" };
}

export class NodeTxnSender implements TxnRegionSender {
  readonly #forwarders = new Map<string, LeaderForwarder>();
  /** The last routes over the whole keyspace (`routes()`). */
  #known: readonly TxnRoute[] = [];

  constructor(readonly d: NodeTxnSenderDeps) {}

  async write(route: TxnRoute, req: TxnWriteRequest): Promise<TxnWriteReply | TxnRefusal> {
    try {
      const reply = await this.#send(route, encodeTxnRequest(req), false);
      return decodeTxnReply(reply);
    } catch (err) {
      return refusalOf(err);
    }
  }

  async read(route: TxnRoute, req: TxnReadRequest): Promise<TxnReadReply | TxnRefusal> {
    try {
      return decodeTxnReadReply(await this.#send(route, encodeTxnRead(req), true));
    } catch (err) {
      return refusalOf(err);
    }
  }

  /** A read's raw answer (keys_at.ts); throws the region's refusal as a ServiceError. */
  sendRead(route: TxnRoute, request: Uint8Array): Promise<Uint8Array> {
    return this.#send(route, request, true);
  }

  /**
   * The routes over the whole keyspace: the regions this node holds, and between them those of
   * the route cache (placement's, when not cached), in key order. A gap placement cannot fill
   * stays a gap: a key there finds no route, and the client asks again (bounded).
   */
  async routes(): Promise<readonly TxnRoute[]> {
    const out: TxnRoute[] = [];
    let at: Uint8Array = EMPTY;
    for (let i = 0; i < NODE_ROUTES_CACHED_MAX; i++) {
      const d = this.d.host.regionFor(at)?.kv.descriptor ?? await this.#locate(at);
      if (d === undefined) break;
      out.push(routeOf(d));
      if (d.end.length === 0 || compareBytes(d.end, at) <= 0) break;
      at = d.end;
    }
    this.#known = out;
    return out;
  }

  async #locate(key: Uint8Array): Promise<RegionDescriptor | undefined> {
    try {
      return await this.d.remote?.locate(key);
    } catch {
      return undefined; // placement unreachable: a gap for now
    }
  }

  /**
   * The routes a transaction starts with: the descriptors of the regions this node holds, as they
   * are now, and of the last walk's routes those that overlap none of them (the client fetches
   * routes again when it meets a key they do not cover, or a stale one).
   */
  routesNow(): TxnRoute[] {
    const local = this.d.host.all().map((r) => routeOf(r.kv.descriptor));
    if (this.#known.length === 0) return local;
    const away = this.#known.filter((k) => !local.some((l) => overlapping(l, k)));
    return [...local, ...away].sort((a, b) => compareBytes(a.start, b.start));
  }

  async #send(route: TxnRoute, request: Uint8Array, read: boolean): Promise<Uint8Array> {
    const value = {
      regionId: BigInt(route.id),
      epoch: { version: BigInt(route.epoch.version), confVer: BigInt(route.epoch.confVer) },
      request,
      read,
    };
    const r = this.d.host.region(route.id);
    let outcome: CommandOutcome;
    if (r === undefined) {
      outcome = await this.#sendAway(route.id, value);
    } else {
      try {
        outcome = await this.#sendHeld(r, value);
      } catch (err) {
        // The region is held here, so a stale route to it came from the route cache (learned
        // before this replica was added, or before a split this node applied): forgotten, or
        // every try of a key outside the replica's range met the same stale route.
        if (err instanceof ServiceError && STALE.has(err.code)) this.d.remote?.forget(route.id);
        throw err;
      }
    }
    if (outcome.case !== "regionTxn") {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `answered ${outcome.case ?? "nothing"}`);
    }
    return outcome.value.reply;
  }

  /** A request for a region held here: served when this node leads it, else forwarded. */
  #sendHeld(r: HostedRegion, value: RegionTxnCall): Promise<CommandOutcome> {
    if (r.group.rawNode.isLeader) return this.d.service.serve(value);
    const lead = r.group.rawNode.lead;
    const address = lead === 0 ? undefined : this.d.addresses.get(lead);
    if (address === undefined) throw new ServiceError(ErrorCode.UNAVAILABLE, "no leader known");
    return this.#forward(address, value);
  }

  async #forward(address: string, value: RegionTxnCall): Promise<CommandOutcome> {
    const body = { case: "regionTxn" as const, value };
    const answer = await this.#forwarder(address).forwardRequest(
      address,
      body,
      this.d.o.requestTimeoutMs,
    );
    const e = answer.error;
    if (e !== undefined) throw new ServiceError(e.code, e.message, Number(e.leaderId));
    return answer.body;
  }

  /**
   * A request for a region this node does not hold: to the leader its route cache names, else a
   * voter; a NOT_LEADER naming another leader is followed once. It carries its route, so a node
   * whose region changed refuses it with its current descriptors (route_check.ts): a stale
   * route is replaced by those at once. (Forgotten only, the route came from placement again,
   * which learns a split from heartbeats: under load the same stale route came back until every
   * try was spent, and a `batch` after a split failed for minutes.)
   */
  async #sendAway(id: number, value: RegionTxnCall): Promise<CommandOutcome> {
    const remote = this.d.remote;
    if (remote === undefined) throw new ServiceError(ErrorCode.REGION_NOT_FOUND, "not held here");
    const route = { regionId: value.regionId, epoch: value.epoch };
    const body = { case: "regionTxn" as const, value };
    for (let hop = 1;; hop++) {
      const address = remote.addressOf(id);
      if (address === undefined) {
        remote.forget(id);
        throw new ServiceError(ErrorCode.REGION_NOT_FOUND, `no route to region ${id} cached`);
      }
      let answer;
      try {
        answer = await this.#forwarder(address).call(address, body, {
          timeoutMs: this.d.o.requestTimeoutMs,
          route,
        });
      } catch (err) {
        if (err instanceof ServiceError) remote.leaderIs(id, 0);
        throw err;
      }
      const e = answer.error;
      if (e === undefined) return answer.body;
      if (STALE.has(e.code)) remote.forget(id, e.regions);
      const leader = e.code === ErrorCode.NOT_LEADER ? Number(e.leaderId) : 0;
      remote.leaderIs(id, leader);
      if (leader === 0 || hop >= 2) throw new ServiceError(e.code, e.message, leader);
    }
  }

  #forwarder(address: string): LeaderForwarder {
    let f = this.#forwarders.get(address);
    if (f === undefined) {
      const o = this.d.o;
      f = new LeaderForwarder(o.net, o.clock, peerHelloOf(o));
      this.#forwarders.set(address, f);
    }
    return f;
  }

  /** A transaction environment on this node: its own route cache, the oracle, the clock. */
  env(): TxnEnv & { readonly client: RoutedTxnClient } {
    const clock = this.d.o.clock;
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    const client = new RoutedTxnClient(this, this.routesNow(), sleep);
    const timestamps = this.d.timestamps;
    return {
      client,
      regionOf: (key) => client.regionHint(key),
      regions: () => client.routes.map((r) => ({ id: r.id, range: r })),
      timestamp: () =>
        new Promise<number>((resolve, reject) => {
          const stamps = timestamps();
          if (stamps === undefined) {
            reject(new ServiceError(ErrorCode.FAILED_PRECONDITION, "no timestamp oracle here"));
            return;
          }
          stamps.take(resolve, reject);
        }),
      nowMs: () => clock.wallMs(),
      sleep,
    };
  }

  close(): void {
    for (const f of this.#forwarders.values()) f.close();
    this.#forwarders.clear();
  }
}
