/**
 * Forwarding by a node that holds no replica of a key's region (docs/regions.md "Forwarding by
 * a node without a replica"): once placement moves replicas, a node holds only some regions, and
 * a client that cannot route (a RESP client, a protobuf client without routing) may still send it
 * any key. The node learns the region and its leader from placement (placement_route.ts), keeps
 * them in a small route cache, and sends the request on, **routed** (the region's id and epoch),
 * to the leader — or, with no leader known, to a replica. A routed request is never forwarded
 * again by a node that does not hold its region (route_check.ts refuses it with a stale-route
 * error), so a request makes at most one such hop, plus the follower-to-leader hop of a region's
 * own replicas. A stale route (the region split, moved or changed leader since placement's
 * report) updates the cache from the refusal and is tried again, at most NODE_ROUTE_ATTEMPTS_MAX
 * times in all; then, or when placement knows no region for the key, the request fails with
 * UNAVAILABLE saying why (retryable: nothing was applied by a refused attempt).
 */
import {
  type ClientResponse,
  ErrorCode,
  ReadConsistency,
  type RegionInfo,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../client/connection.ts";
import { regionFromWire } from "../../client/region_wire.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { NODE_ROUTE_ATTEMPTS_MAX, NODE_ROUTES_CACHED_MAX } from "../../limits_ops.ts";
import type { Clock, Net } from "../../platform/types.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { type KeySpan, keySpan, spanWithin } from "../../region/region_catalog.ts";
import { RegionMap } from "../../region/region_map.ts";
import type { PeerHello } from "../../client/connection.ts";
import { type Consistency, type KeyRead, ServiceError } from "../kv_service.ts";
import { LeaderForwarder } from "./leader_forwarder.ts";
import type { PlacementRoute } from "../placement/placement_route.ts";

export interface RemoteRegionsDeps {
  readonly net: Net;
  readonly clock: Clock;
  readonly hello?: PeerHello;
  readonly selfId: number;
  /** How long a forwarded read may take. */
  readonly requestTimeoutMs: number;
  /** The region of a key and its leader, from placement (PlacementNode.route). */
  readonly route: (key: Uint8Array) => Promise<PlacementRoute>;
  /** A node's client address (the node's address book). */
  readonly addressOf: (id: number) => string | undefined;
}

const STALE = new Set([
  ErrorCode.EPOCH_NOT_MATCH,
  ErrorCode.REGION_NOT_FOUND,
  ErrorCode.KEY_NOT_IN_REGION,
]);

function hexOf(key: Uint8Array): string {
  return [...key.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A command's key range as a span (an open-ended range ends with the keyspace). */
export function spanOf(r: KeyRange): KeySpan {
  if (isSingleKey(r)) return keySpan(r.key);
  return { start: r.key, end: isOpenEnded(r) ? new Uint8Array(0) : r.rangeEnd };
}

export interface SendOptions {
  readonly timeoutMs: number;
  readonly clientId?: number;
  readonly sequence?: number;
  readonly ackedSequence?: number;
  /** The span is a part of a read cut at a region's edge, not a command's keys. */
  readonly part?: boolean;
}

/** How a refusal of keys over several regions begins (a RESP read then takes the log's path). */
export const MORE_THAN_ONE_REGION = "the keys lie in more than one region";

function routeChanged(region: RegionDescriptor): string {
  return `region ${region.id} no longer holds the whole part (it split or moved)`;
}

export class RemoteRegions {
  readonly #routes = new RegionMap();
  /** The leader's node id of each cached region (0: unknown). */
  readonly #leaders = new Map<number, number>();
  /** One connection per node forwarded to (the cluster's nodes bound them). */
  readonly #forwarders = new Map<string, LeaderForwarder>();
  /** Requests sent on (metrics and tests), and attempts refused as stale. */
  forwarded = 0;
  staleRoutes = 0;

  constructor(readonly d: RemoteRegionsDeps) {}

  /** Runs a replicated command whose keys (`spans`) no local region holds, on their region. */
  async execute(
    command: CommandInit,
    spans: readonly KeySpan[],
    timeoutMs: number,
  ): Promise<ClientResponse["body"]> {
    const b = command.body;
    // The node's own housekeeping and batches are never sent on as they are.
    if (b?.case === "expireKeys" || b?.case === "redisBatch") {
      throw new ServiceError(ErrorCode.NOT_LEADER, `a ${b.case} is not sent to another node`);
    }
    const r = await this.send(b, spans, {
      timeoutMs,
      clientId: Number(command.clientId ?? 0n),
      sequence: Number(command.sequence ?? 0n),
      ackedSequence: Number(command.ackedSequence ?? 0n),
    });
    return r.body;
  }

  /** A key's read (get) by a replica of its region; `revision` 0: now. */
  async get(key: Uint8Array, consistency: Consistency, revision: number): Promise<KeyRead> {
    const c = consistency === "serializable"
      ? ReadConsistency.SERIALIZABLE
      : consistency === "lease"
      ? ReadConsistency.LEASE
      : ReadConsistency.LINEARIZABLE;
    const body = {
      case: "get" as const,
      value: { key, revision: BigInt(revision), consistency: c },
    };
    const answer = await this.send(body, [keySpan(key)], { timeoutMs: this.d.requestTimeoutMs });
    if (answer.body.case !== "get") {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `a get answered ${answer.body.case}`);
    }
    const g = answer.body.value;
    const state = g.found
      ? {
        key,
        value: g.value,
        createRevision: Number(g.createRevision),
        modRevision: Number(g.modRevision),
        version: Number(g.version),
        lease: Number(g.lease),
        expireAtMs: Number(g.expireAtMs),
      }
      : undefined;
    return { state, revision: Number(g.revision) };
  }

  /**
   * Sends `body` to the region holding every span, routed; resolves with the answer, or throws
   * its error as a ServiceError (UNAVAILABLE when no route was found).
   */
  async send(
    body: RequestBody,
    spans: readonly KeySpan[],
    options: SendOptions,
  ): Promise<ClientResponse> {
    const first = spans[0];
    if (first === undefined) throw new Error("a request without keys has no region to go to");
    let why = "";
    for (let attempt = 1; attempt <= NODE_ROUTE_ATTEMPTS_MAX; attempt++) {
      const region = await this.locate(first.start);
      if (region === undefined) {
        why = "placement knows no region for it yet";
        break;
      }
      if (!spans.every((s) => spanWithin(region, s))) {
        // A part cut at a region's edge that its region no longer holds whole (it split):
        // a changed route, which the caller plans again (stitched_scan.ts).
        if (options.part) throw new ServiceError(ErrorCode.EPOCH_NOT_MATCH, routeChanged(region));
        throw new ServiceError(
          ErrorCode.FAILED_PRECONDITION,
          `${MORE_THAN_ONE_REGION} (region ${region.id} holds only some): a ` +
            "command over more than one region is not supported yet (decision 0014)",
        );
      }
      const address = this.#target(region);
      if (address === undefined) {
        why = `no address is known for a replica of region ${region.id}`;
        this.#forget(region.id);
        continue;
      }
      const route = {
        regionId: BigInt(region.id),
        epoch: { version: BigInt(region.epoch.version), confVer: BigInt(region.epoch.confVer) },
      };
      this.forwarded++;
      const { part: _, ...call } = options;
      const answer = await this.#forwarder(address).call(address, body, { ...call, route });
      const e = answer.error;
      if (e === undefined) return answer;
      if (STALE.has(e.code)) {
        this.staleRoutes++;
        why = `region ${region.id}: ${e.message}`;
        this.#forget(region.id);
        this.#learn(e.regions.map(regionFromWire));
        continue;
      }
      if (e.code === ErrorCode.NOT_LEADER) {
        why = `region ${region.id}: ${e.message}`;
        const leader = Number(e.leaderId);
        if (leader !== 0 && leader !== this.#leaders.get(region.id)) {
          this.#leaders.set(region.id, leader);
        } else this.#forget(region.id);
        continue;
      }
      throw new ServiceError(e.code, e.message, 0, "", Number(e.compactedRevision));
    }
    throw new ServiceError(
      ErrorCode.UNAVAILABLE,
      `no route to the region of key 0x${hexOf(first.start)} from node ${this.d.selfId}` +
        ` (it holds no replica of it): ${why}; retry`,
    );
  }

  /** The region of `key`: cached, else asked of placement (and cached). */
  async locate(key: Uint8Array): Promise<RegionDescriptor | undefined> {
    const known = this.#routes.lookup(key);
    if (known !== undefined) return known;
    const r = await this.d.route(key);
    if (r.region === undefined) return undefined;
    this.#learn([{ ...r.region, leaderId: r.leader }]);
    return this.#routes.lookup(key) ?? r.region;
  }

  /**
   * The address to send region `id`'s requests to (its leader's, else a voter's), when its route
   * is cached (the Percolator requests of a transaction across regions: node_txn_sender.ts).
   */
  addressOf(id: number): string | undefined {
    const region = this.#routes.byId(id);
    return region === undefined ? undefined : this.#target(region);
  }

  /** Region `id`'s leader is `leader` (a NOT_LEADER answer's hint); 0: unknown. */
  leaderIs(id: number, leader: number): void {
    if (this.#routes.byId(id) !== undefined) this.#leaders.set(id, leader);
  }

  /**
   * A stale route to region `id`: forgets it, and learns the refusing node's current
   * descriptors of the region and its right neighbour (after a split, the new half), which
   * placement may not know yet (its heartbeats lag a split); the next request asks placement
   * only for what is still missing.
   */
  forget(id: number, current: readonly RegionInfo[] = []): void {
    this.#forget(id);
    this.#learn(current.map(regionFromWire));
  }

  /** The region's leader's address, else a voter's (which forwards to its leader). */
  #target(region: RegionDescriptor): string | undefined {
    const leader = this.#leaders.get(region.id) ?? 0;
    const ids = [leader, ...region.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId)];
    for (const id of ids) {
      if (id === 0 || id === this.d.selfId) continue;
      const address = this.d.addressOf(id);
      if (address !== undefined && address !== "") return address;
    }
    return undefined;
  }

  #learn(regions: readonly (RegionDescriptor & { leaderId: number })[]): void {
    for (const r of regions) {
      if (this.#routes.size >= NODE_ROUTES_CACHED_MAX) this.clear();
      const held = this.#routes.byId(r.id);
      if (held !== undefined && held.epoch.version === r.epoch.version) this.#forget(r.id);
      try {
        if (!this.#routes.update(r)) continue;
      } catch {
        continue; // a malformed descriptor: not cached, placement is asked again
      }
      this.#leaders.set(r.id, r.leaderId);
    }
  }

  #forget(id: number): void {
    this.#routes.remove(id);
    this.#leaders.delete(id);
  }

  #forwarder(address: string): LeaderForwarder {
    let f = this.#forwarders.get(address);
    if (f === undefined) {
      f = new LeaderForwarder(this.d.net, this.d.clock, this.d.hello);
      this.#forwarders.set(address, f);
    }
    return f;
  }

  clear(): void {
    this.#routes.clear();
    this.#leaders.clear();
  }

  close(): void {
    for (const f of this.#forwarders.values()) f.close();
    this.#forwarders.clear();
  }
}
