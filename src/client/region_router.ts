/**
 * Routes one request by region (docs/regions.md#routing): each attempt goes to the leader of
 * the region the route cache gives, with the region's id and epoch, and each refusal teaches the
 * cache. A stale route (EPOCH_NOT_MATCH, REGION_NOT_FOUND, KEY_NOT_IN_REGION) updates the cache
 * from the descriptors it carries and is retried at once, or (a scan's part, planned for one
 * region) ends the request so the scan plans again; NOT_LEADER with a hint moves the region's
 * requests to the hinted leader. At most CLIENT_ROUTE_ATTEMPTS_MAX such reroutes, then a clear
 * error; other failures retry as without regions and make the cache ask the cluster again.
 * While the nodes do not answer `Regions` (route_cache.ts `unrouted`) attempts go unrouted.
 */
import { CLIENT_ROUTE_ATTEMPTS_MAX } from "../limits_ops.ts";
import type { AttemptRouter, RoutedTarget } from "./attempt_router.ts";
import { isStaleRoute, TinyKvError } from "./errors.ts";
import type { RegionEntry } from "./region_wire.ts";
import type { RouteCache } from "./route_cache.ts";

export class RegionRouter implements AttemptRouter {
  #reroutes = 0;
  #region: RegionEntry | undefined;

  /**
   * `locate` names the region for each attempt; `replan`: a stale route ends the request (the
   * caller chose the region for a part of a range and must choose again).
   */
  constructor(
    readonly cache: RouteCache,
    readonly locate: () => Promise<RegionEntry>,
    readonly replan = false,
  ) {}

  async target(): Promise<RoutedTarget | undefined> {
    if (this.cache.unrouted) return undefined;
    let r: RegionEntry;
    try {
      r = await this.locate();
    } catch (err) {
      if (this.cache.unrouted) return undefined; // the node does not answer Regions
      throw err;
    }
    this.#region = r;
    const address = this.cache.leaderAddress(r) ?? r.replicas.find((p) => p.address)?.address;
    return {
      // No address known: the client's current endpoint, which forwards or refuses with a hint.
      address: address ?? "",
      route: {
        regionId: BigInt(r.id),
        epoch: { version: BigInt(r.epoch.version), confVer: BigInt(r.epoch.confVer) },
      },
    };
  }

  failed(err: TinyKvError, tried: RoutedTarget | undefined): "retry" | TinyKvError | undefined {
    const region = this.#region;
    if (tried === undefined || region === undefined) return undefined;
    if (isStaleRoute(err)) {
      this.cache.learn(err.route?.regions ?? [], true);
      // Still the descriptor that was refused: ask the cluster on the next attempt.
      if (this.cache.lookup(region.start) === region) this.cache.forget(region.id);
      if (this.replan) return err;
      return this.#reroute(err);
    }
    if (err.code === "NOT_LEADER") {
      const hint = err.leaderAddress;
      if (hint !== undefined && hint !== tried.address) {
        this.cache.noteLeader(region.id, hint);
        return this.#reroute(err);
      }
      this.cache.forget(region.id);
      return undefined;
    }
    if (err.code === "UNAVAILABLE" || err.code === "CONNECTION_LOST" || err.code === "TIMEOUT") {
      // The leader may have moved or died: learn the region again before the next attempt.
      this.cache.forget(region.id);
    }
    return undefined;
  }

  #reroute(err: TinyKvError): "retry" | TinyKvError {
    if (++this.#reroutes < CLIENT_ROUTE_ATTEMPTS_MAX) return "retry";
    return new TinyKvError(
      err.code,
      `the route kept changing: gave up after ${this.#reroutes} attempts (${err.message})`,
      false,
      err.leaderAddress,
    );
  }
}
