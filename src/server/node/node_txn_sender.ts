/**
 * A node's transport for transactions across regions (docs/transactions.md#on-nodes): the
 * `TxnRegionSender` under `RoutedTxnClient`, and the `TxnEnv` a coordinator or the lock resolver
 * runs in on this node. A request goes to the region's leader: this node's own
 * `RegionTxnService` when it leads the region, else a `RegionTxnRequest` to the leader's client
 * port (as a trusted peer). Routes are the descriptors of the regions this node holds (it holds
 * them all while every node replicates every region; a node holding some would ask placement).
 * Answers map to the client's refusals: a stale route (`EPOCH_NOT_MATCH`, `REGION_NOT_FOUND`,
 * `KEY_NOT_IN_REGION`) refreshes the routes; no leader, a lost or timed-out request retries
 * (every Percolator request is idempotent); `INVALID_ARGUMENT` is a bug of the sender.
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
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import type { AddressBook } from "../membership/address_book.ts";
import { LeaderForwarder, peerHelloOf } from "./leader_forwarder.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { ProposalTimestamps } from "./proposal_timestamps.ts";
import type { RegionHost } from "./region_host.ts";
import type { RegionTxnService } from "./region_txn_service.ts";

export interface NodeTxnSenderDeps {
  readonly o: ResolvedNodeOptions;
  readonly host: RegionHost;
  readonly addresses: AddressBook;
  readonly service: RegionTxnService;
  readonly timestamps: () => ProposalTimestamps | undefined;
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

  routes(): Promise<readonly TxnRoute[]> {
    return Promise.resolve(this.routesNow());
  }

  /** The descriptors of the regions this node holds, in key order. */
  routesNow(): TxnRoute[] {
    return this.d.host.all().map((r) => {
      const d = r.kv.descriptor;
      return { id: d.id, start: d.start, end: d.end, epoch: d.epoch };
    });
  }

  async #send(route: TxnRoute, request: Uint8Array, read: boolean): Promise<Uint8Array> {
    const value = {
      regionId: BigInt(route.id),
      epoch: { version: BigInt(route.epoch.version), confVer: BigInt(route.epoch.confVer) },
      request,
      read,
    };
    const r = this.d.host.region(route.id);
    if (r === undefined) throw new ServiceError(ErrorCode.REGION_NOT_FOUND, "not held here");
    let outcome: CommandOutcome;
    if (r.group.rawNode.isLeader) {
      outcome = await this.d.service.serve(value);
    } else {
      const lead = r.group.rawNode.lead;
      const address = lead === 0 ? undefined : this.d.addresses.get(lead);
      if (address === undefined) throw new ServiceError(ErrorCode.UNAVAILABLE, "no leader known");
      const body = { case: "regionTxn" as const, value };
      const answer = await this.#forwarder(address).forwardRequest(
        address,
        body,
        this.d.o.requestTimeoutMs,
      );
      const e = answer.error;
      if (e !== undefined) throw new ServiceError(e.code, e.message);
      outcome = answer.body;
    }
    if (outcome.case !== "regionTxn") {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `answered ${outcome.case ?? "nothing"}`);
    }
    return outcome.value.reply;
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
      regionOf: (key) => client.routeOf(key).id,
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
