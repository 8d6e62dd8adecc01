/**
 * A region leader serving the Percolator requests of its region (docs/transactions.md#on-nodes):
 * a write (`RegionTxnRequest` without `read`) is stamped with this leader's clock and proposed as
 * the region's `Txn` command, answered once applied; a read is served from the engine after a
 * ReadIndex. Only the region's leader serves them (the clock that judges a lock's TTL is the
 * leader's): a follower answers NOT_LEADER with the leader, a stale route EPOCH_NOT_MATCH,
 * REGION_NOT_FOUND or KEY_NOT_IN_REGION, a malformed request INVALID_ARGUMENT; nothing is done.
 */
import { create } from "@bufbuild/protobuf";
import { ErrorCode, RegionTxnResponseSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { encodeRegionCommand, type RegionOutcome } from "../../kv/region_command.ts";
import { readRegionTxn, refuseRoute } from "../../kv/region_txn_apply.ts";
import { decodeTxnRead, encodeTxnReadReply } from "../../txn/txn_read_codec.ts";
import { decodeTxnRequest, encodeTxnRequest } from "../../txn/txn_codec.ts";
import { errorMessage } from "../../util/errors.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import type { AddressBook } from "../membership/address_book.ts";
import type { HostedRegion } from "./hosted_region.ts";
import { encodeServed } from "./keys_at.ts";
import { decodeKeysAt, isKeysAt, type KeyAt, type KeysAtRequest } from "./keys_at_codec.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import { RegionChangedError } from "./proposals.ts";
import type { RegionHost } from "./region_host.ts";

export interface RegionTxnServiceDeps {
  readonly o: ResolvedNodeOptions;
  readonly host: RegionHost;
  readonly addresses: AddressBook;
}

/** The error a refused `Txn` command or read answers with. */
export function refusalError(outcome: RegionOutcome): ServiceError {
  switch (outcome.kind) {
    case "invalid":
      return new ServiceError(ErrorCode.INVALID_ARGUMENT, outcome.message);
    case "region-not-found":
      return new ServiceError(ErrorCode.REGION_NOT_FOUND, `region ${outcome.regionId} not here`);
    case "epoch-not-match":
      return new ServiceError(ErrorCode.EPOCH_NOT_MATCH, "the region's epoch changed");
    case "key-not-in-region":
      return new ServiceError(ErrorCode.KEY_NOT_IN_REGION, "a key is outside the region");
    default:
      return new ServiceError(ErrorCode.UNAVAILABLE, `region answered ${outcome.kind}; retry`);
  }
}

function invalid(err: unknown): ServiceError {
  return new ServiceError(ErrorCode.INVALID_ARGUMENT, errorMessage(err));
}

/** A `RegionTxnRequest` as decoded from the wire, or built by this node's own sender. */
export interface RegionTxnCall {
  readonly regionId: bigint;
  readonly epoch?: { readonly version: bigint; readonly confVer: bigint };
  readonly request: Uint8Array;
  readonly read: boolean;
}

export class RegionTxnService {
  /** Serves a coordinator's reads at a start timestamp (keys_at.ts); wired by the node. */
  keysAt: ((req: KeysAtRequest) => Promise<KeyAt[]>) | undefined;

  constructor(readonly d: RegionTxnServiceDeps) {}

  async serve(req: RegionTxnCall): Promise<CommandOutcome> {
    const regionId = u64ToNumber(req.regionId, "region id");
    const epoch = {
      version: u64ToNumber(req.epoch?.version ?? 0n, "epoch version"),
      confVer: u64ToNumber(req.epoch?.confVer ?? 0n, "epoch conf version"),
    };
    const r = this.#leading(regionId);
    const reply = req.read
      ? await this.#read(r, { regionId, epoch }, req.request)
      : await this.#write(r, regionId, epoch, req.request);
    return { case: "regionTxn", value: create(RegionTxnResponseSchema, { reply }) };
  }

  /** The region, which this node must lead. */
  #leading(regionId: number): HostedRegion {
    // Region 1 of a node that does not split applies plain commands, not region commands.
    if (!this.d.host.regionSnapshots) {
      throw new ServiceError(
        ErrorCode.FAILED_PRECONDITION,
        "this node does not split into regions",
      );
    }
    const r = this.d.host.region(regionId);
    if (r === undefined) {
      throw new ServiceError(ErrorCode.REGION_NOT_FOUND, `region ${regionId} is not on this node`);
    }
    if (!r.group.rawNode.isLeader) {
      const lead = r.group.rawNode.lead;
      const address = lead === 0 ? "" : this.d.addresses.get(lead) ?? "";
      throw new ServiceError(
        ErrorCode.NOT_LEADER,
        `not the leader of region ${regionId}`,
        lead,
        address,
      );
    }
    return r;
  }

  async #read(
    r: HostedRegion,
    route: { regionId: number; epoch: { version: number; confVer: number } },
    bytes: Uint8Array,
  ): Promise<Uint8Array> {
    if (isKeysAt(bytes)) return await this.#keysAt(r, route, bytes);
    let read;
    try {
      read = decodeTxnRead(bytes);
    } catch (err) {
      throw invalid(err);
    }
    await r.reads.wait();
    // Leadership may have moved while the ReadIndex was pending: the clock must be the leader's.
    this.#leading(r.id);
    const db = this.d.host.d.engine().db;
    const out = readRegionTxn(db, r.kv.descriptor, route, read, this.d.o.clock.wallMs());
    if (out.kind === "get" || out.kind === "scan" || out.kind === "locks") {
      return encodeTxnReadReply(out);
    }
    throw refusalError(out);
  }

  /** Keys of region `r` at a start timestamp, for a coordinator that does not hold it. */
  async #keysAt(
    r: HostedRegion,
    route: { regionId: number; epoch: { version: number; confVer: number } },
    bytes: Uint8Array,
  ): Promise<Uint8Array> {
    let req;
    try {
      req = decodeKeysAt(bytes);
    } catch (err) {
      throw invalid(err);
    }
    const serve = this.keysAt;
    if (serve === undefined) throw new ServiceError(ErrorCode.UNAVAILABLE, "not ready; retry");
    const refused = refuseRoute(r.kv.descriptor, route.regionId, route.epoch, req.keys);
    if (refused !== undefined) throw refusalError(refused);
    return encodeServed(await serve(req));
  }

  async #write(
    r: HostedRegion,
    regionId: number,
    epoch: { version: number; confVer: number },
    bytes: Uint8Array,
  ): Promise<Uint8Array> {
    let request;
    try {
      const req = decodeTxnRequest(bytes);
      // This leader's clock judges TTLs: whatever the sender put there is replaced.
      const nowMs = Math.floor(this.d.o.clock.wallMs());
      request = encodeTxnRequest("nowMs" in req ? { ...req, nowMs } : req);
    } catch (err) {
      throw invalid(err);
    }
    if (r.proposals.full) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, "too many writes in flight");
    }
    const data = encodeRegionCommand({ kind: "txn", regionId, epoch, request });
    const proposed = r.group.propose(data);
    if (!proposed.ok || proposed.forwarded) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `Txn command not accepted; retry`);
    }
    const done = r.proposals.wait(proposed, this.d.o.requestTimeoutMs);
    r.group.kick();
    let outcome: CommandOutcome;
    try {
      outcome = await done;
    } catch (err) {
      if (err instanceof RegionChangedError) throw refusalError(err.outcome);
      throw err;
    }
    if (outcome.case !== "regionTxn") throw new Error(`a Txn command answered ${outcome.case}`);
    return outcome.value.reply;
  }
}
