/**
 * Which region runs a command, on a node that holds more than one (docs/regions.md "The node
 * holding many regions"). A command goes to the local region holding its keys: proposed there
 * when this node leads that region, else forwarded to that region's leader (which routes it
 * again by key). With one region (before the first split) every command takes region 1's path.
 *
 * A `txn`, a `batch` or a Redis command or MULTI/EXEC whose keys lie in more than one region
 * (held here or not: command_regions.ts) runs as a transaction across regions coordinated here
 * (decision 0019); any other command over several regions is refused (FAILED_PRECONDITION), never
 * run piecemeal: a delete of a range, FLUSHDB/FLUSHALL. Leases are region 1's records, so a key
 * attached to a lease must be in region 1.
 */
import { create } from "@bufbuild/protobuf";
import { CommandSchema, ErrorCode, ReadConsistency } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import { isSingleKey } from "../../kv/key_state.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import type { AddressBook } from "../membership/address_book.ts";
import type { CommandPath } from "./command_path.ts";
import { type RegionPath, regionPath } from "./region_path.ts";
import type { RegionLoad } from "./region_load.ts";
import { type CommandSpans, commandSpans } from "./command_spans.ts";
import type { FaultMonitor } from "./faults.ts";
import { eachRedisRequest, type RedisRequestInit } from "./leader_forwarder.ts";
import { gatherRegionGroups, groupByRegion } from "./redis_batch_regions.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { RegionChangedError } from "./proposals.ts";
import type { ProposalTimestamps } from "./proposal_timestamps.ts";
import { compactRegions } from "./compact_regions.ts";
import { REGION_REROUTES_MAX } from "../../limits_ops.ts";
import { payloadBytes, transferAllowanceMs } from "../../wire/transfer_time.ts";
import { type RemoteRegions, spanOf } from "./remote_regions.ts";
import { TxnsInFlight } from "./txns_in_flight.ts";
import { crossRegionBatch, crossRegionTxn, type CrossRegionTxnDeps } from "./cross_region_txn.ts";
import { isSafeU64 } from "../../util/ids.ts";
import { crossRegionRedis } from "./cross_region_redis.ts";
import { RedisKeyOrder } from "./redis_key_order.ts";
import { NoLocalRegionError, spansRegions } from "./region_refusals.ts";
import { localSpread, regionOfSpans, severalRegions } from "./command_regions.ts";
import { ConditionWait } from "./condition_wait.ts";
import { READ_SETTLE_WAIT_MS } from "./read_settle.ts";
import { closeWithoutEntry, markClosed } from "./close_without_entry.ts";

export interface RegionRouterDeps {
  readonly o: ResolvedNodeOptions;
  readonly host: RegionHost;
  /** Region 1's command path (node_service.ts). */
  readonly first: CommandPath;
  /** Where leaders take their proposals' timestamps (node_regions.ts). */
  readonly timestamps: () => ProposalTimestamps | undefined;
  readonly faults: FaultMonitor;
  readonly addresses: AddressBook;
  /** Sends on what no local region holds, to its region's leader (remote_regions.ts). */
  readonly remote?: RemoteRegions;
  /** Where the writes of the regions this node leads are counted (region_load.ts); absent: not. */
  readonly load?: RegionLoad;
}

export class RegionRouter {
  /**
   * Each region's path (its proposals, a forwarder to its leader) and the hosted region it is
   * for: one that left and came back is a new one, whose apply resolves only its own proposals.
   */
  readonly #paths = new Map<number, RegionPath>();

  /** Transactions across regions running here (txns_in_flight.ts). */
  readonly #running = new TxnsInFlight();
  /** Redis requests kept behind the runs across regions holding their keys. */
  readonly #order = new RedisKeyOrder();
  /** How this node runs a `txn` or `batch` across regions; undefined: refused (one region). */
  crossRegion: () => CrossRegionTxnDeps | undefined = () => undefined;

  /** Writes whose keys a split applied here has not hosted yet (its child comes in a moment). */
  readonly #hosted: ConditionWait;

  constructor(readonly d: RegionRouterDeps) {
    this.#hosted = new ConditionWait(d.o.clock, () => !d.host.adding, READ_SETTLE_WAIT_MS);
  }

  /** Runs `command` in its region; routed again when a split refused it (REGION_REROUTES_MAX). */
  async execute(command: CommandInit): Promise<CommandOutcome> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#once(command);
      } catch (err) {
        if (!(err instanceof RegionChangedError) || attempt >= REGION_REROUTES_MAX) throw err;
      }
    }
  }

  #once(command: CommandInit): Promise<CommandOutcome> {
    const whole = this.d.host.count === 1 && this.d.host.d.first.kv.descriptor.end.length === 0;
    if (whole) {
      if (this.d.load !== undefined) this.#count(this.d.host.d.first, commandSpans(command));
      return this.d.first.execute(command);
    }
    if (command.body?.case === "redisBatch") {
      return this.#redisBatch(command.body.value.requests ?? []);
    }
    if (command.body?.case !== "redis" || this.crossRegion() === undefined) {
      return this.#routed(command);
    }
    const spans = commandSpans(command);
    if (spans.kind !== "keys") return this.#routed(command);
    const keys = spans.spans.map((s) => s.key);
    // Keys held elsewhere may lie in several regions: kept in order as a run across them.
    const spread = localSpread(this.d.host, spans.spans);
    const across = spread === "several" || (spread === "away" && keys.length > 1);
    return this.#order.run(keys, across, () => this.#routed(command, spans));
  }

  /**
   * A RESP write batch: one entry per region its requests name (redis_batch_regions.ts), each kept
   * in order behind runs across regions holding its keys; one by one where that is not possible
   * or a group's region changed meanwhile (each request is then routed again).
   */
  #redisBatch(requests: readonly RedisRequestInit[]): Promise<CommandOutcome> {
    const one = (c: CommandInit) => this.execute(c);
    const groups = groupByRegion(requests, this.d.host);
    if (groups === undefined || groups.length === 0) return eachRedisRequest(requests, one);
    return gatherRegionGroups(requests, groups, (g, cmd) => {
      if (this.d.load !== undefined) { for (const spans of g.spans) this.#count(g.region, spans); }
      const propose = () =>
        g.region.id === 1 ? this.d.first.execute(cmd) : this.#path(g.region).execute(cmd);
      return this.crossRegion() === undefined ? propose() : this.#order.run(g.keys, false, propose);
    }, one);
  }

  /** Its leader counts region `r`'s writes (the split by load: region_load.ts). */
  #count(r: HostedRegion, spans: CommandSpans): void {
    if (spans.kind !== "keys" || !r.group.rawNode.isLeader) return;
    this.d.load?.record(r.id, spans.spans[0].key);
  }

  /** Runs `command` in its region, or across regions; `spans`: its keys, when known. */
  #routed(command: CommandInit, spans?: CommandSpans, waited = false): Promise<CommandOutcome> {
    try {
      const body = command.body;
      if (body?.case === "compact" && this.d.timestamps() !== undefined) {
        const close = (r: HostedRegion, rev: number) => this.closeAt(r, rev);
        const run = (c: CommandInit) => this.d.first.execute(c);
        return compactRegions(this.d.host, Number(body.value.revision ?? 0n), command, close, run);
      }
      const keys = spans ?? commandSpans(command);
      const across = this.#acrossRegions(command, keys);
      if (across !== undefined) return across;
      const region = this.regionOf(command, keys);
      this.#count(region, keys);
      return region.id === 1 ? this.d.first.execute(command) : this.#path(region).execute(command);
    } catch (err) {
      // A split applied here hosts its child in a moment: routed again then (nothing was run).
      if (err instanceof NoLocalRegionError && this.d.host.adding && !waited) {
        return this.#hosted.wait().then(() => this.#routed(command, spans, true));
      }
      if (err instanceof NoLocalRegionError && this.d.remote !== undefined) {
        return this.#elsewhere(this.d.remote, command, err);
      }
      return Promise.reject(err);
    }
  }

  /** A command whose region this node holds no replica of: sent on to that region's leader. */
  #elsewhere(remote: RemoteRegions, command: CommandInit, err: Error): Promise<CommandOutcome> {
    const spans = commandSpans(command);
    if (spans.kind !== "keys") return Promise.reject(err);
    const timeoutMs = this.d.o.requestTimeoutMs + transferAllowanceMs(payloadBytes(command.body));
    return remote.execute(command, spans.spans.map(spanOf), timeoutMs);
  }

  /**
   * A `txn`, `batch` or Redis run whose keys lie in more than one region, run as a transaction
   * across regions by this node (cross_region_txn.ts, cross_region_redis.ts); undefined for any
   * other command.
   */
  #acrossRegions(command: CommandInit, spans: CommandSpans): Promise<CommandOutcome> | undefined {
    const deps = this.crossRegion(), wanted = command.body?.case;
    if (deps === undefined || (wanted !== "txn" && wanted !== "batch" && wanted !== "redis")) {
      return undefined;
    }
    if (spans.kind !== "keys") return undefined;
    const spread = localSpread(this.d.host, spans.spans);
    const remote = this.d.remote;
    const lone = spans.spans.length === 1 && isSingleKey(spans.spans[0]);
    if (spread === "one" || (spread === "away" && (remote === undefined || lone))) return undefined;
    const full = create(CommandSchema, command), body = full.body;
    // The request's session: the primary's commit records it, so a retry of the request that
    // reached another node cannot commit it again (cross_region_txn.ts).
    const safe = (v: bigint) => isSafeU64(v) ? Number(v) : 0;
    const client = { clientId: safe(full.clientId), sequence: safe(full.sequence) };
    const run = () =>
      body.case === "txn"
        ? crossRegionTxn(deps, body.value, client)
        : body.case === "batch"
        ? crossRegionBatch(deps, body.value, client)
        : body.case === "redis"
        ? crossRegionRedis(deps, body.value, client)
        : Promise.reject(new Error(`not a transaction: ${body.case}`));
    const session = command.clientId ? `${command.clientId}:${command.sequence}` : undefined;
    if (spread === "several" || remote === undefined) return this.#running.run(session, run);
    // Some keys are held elsewhere: in one region there (sent on), or across regions (run here).
    const away = new NoLocalRegionError(spans.spans[0].key);
    return severalRegions(this.d.host, remote, spans.spans).then((several) =>
      several ? this.#running.run(session, run) : this.#elsewhere(remote, command, away)
    );
  }

  /**
   * Proposes `command` to region `r`, which this node must lead: never forwarded (a command
   * without keys, such as `compact`, would be routed to region 1 by the leader it reached).
   */
  proposeHere(r: HostedRegion, command: CommandInit): Promise<CommandOutcome> {
    if (!r.group.rawNode.isLeader) return Promise.reject(this.#notLeader(r));
    return r.id === 1 ? this.d.first.execute(command) : this.#path(r).execute(command);
  }

  /** Proposes a timestamp barrier to region `r`, which this node must lead (never forwarded). */
  barrierHere(r: HostedRegion): Promise<CommandOutcome> {
    return r.id === 1 ? this.d.first.barrier() : this.#path(r).barrier();
  }

  /**
   * Makes revision `at` final in region `r` (reads_at_timestamp.ts). Where this node leads it: a
   * barrier entry, or (`entryless`: reads, watches) none (close_without_entry.ts). Else (`ask`) a
   * serializable read at `at` of the region's range by its leader, which closes it there, then
   * this replica's ReadIndex, so that it holds what the leader held. A serializable read does not
   * ask (NOT_LEADER instead): two nodes that each think the other leads cannot ping-pong.
   */
  async closeAt(r: HostedRegion, at: number, ask = true, entryless = false): Promise<void> {
    if (r.group.rawNode.isLeader) {
      const stamps = this.d.timestamps();
      const barrier = () => this.barrierHere(r);
      await (entryless && stamps !== undefined
        ? closeWithoutEntry(r, at, stamps, barrier)
        : barrier());
      return;
    }
    if (!ask) throw this.#notLeader(r);
    this.#path(r);
    const forwarder = this.#paths.get(r.id)?.forwarder;
    const lead = r.group.rawNode.lead;
    const address = lead === 0 ? undefined : this.d.addresses.get(lead);
    if (forwarder === undefined || address === undefined) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `region ${r.id} has no known leader; retry`);
    }
    const d = r.kv.descriptor;
    const body = {
      case: "scan" as const,
      value: {
        start: d.start,
        end: d.end,
        limit: 1,
        revision: BigInt(at),
        consistency: ReadConsistency.SERIALIZABLE,
      },
    };
    const answer = await forwarder.forwardRequest(address, body, this.d.o.requestTimeoutMs);
    const e = answer.error;
    if (e !== undefined) {
      const code = e.code === ErrorCode.NOT_LEADER ? ErrorCode.UNAVAILABLE : e.code;
      throw new ServiceError(code, e.message, 0, "", Number(e.compactedRevision));
    }
    await r.reads.wait();
    markClosed(r, at);
  }

  /** NOT_LEADER for region `r`, with its leader's address when this node knows it. */
  #notLeader(r: HostedRegion): ServiceError {
    const lead = r.group.rawNode.lead;
    const address = lead === 0 ? "" : this.d.addresses.get(lead) ?? "";
    const why = `not the leader of region ${r.id}`;
    return new ServiceError(ErrorCode.NOT_LEADER, why, lead, address);
  }

  /** The one region every key of `command` lies in; throws a ServiceError otherwise. */
  regionOf(command: CommandInit, spans = commandSpans(command)): HostedRegion {
    const host = this.d.host;
    const first = host.region(1);
    if (first === undefined) throw new Error("region 1 is not hosted");
    if (spans.kind === "unkeyed") return first;
    if (spans.kind === "everything") throw spansRegions(host.all().map((r) => r.id));
    const region = regionOfSpans(host, spans.spans);
    if (spans.leased && region.id !== 1) throw spansRegions([1, region.id]);
    return region;
  }

  #path(region: HostedRegion): CommandPath {
    const known = this.#paths.get(region.id);
    if (known?.region === region) return known.path;
    known?.forwarder.close();
    const made = regionPath(this.d, region);
    this.#paths.set(region.id, made);
    return made.path;
  }

  close(): void {
    for (const p of this.#paths.values()) p.forwarder.close();
    this.d.remote?.close();
  }
}
