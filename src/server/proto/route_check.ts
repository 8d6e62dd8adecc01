/**
 * Checks the route a request was sent with (`ClientRequest.route`: a region and the epoch of
 * the client's descriptor of it) against the node's region catalog, before the request runs
 * (docs/regions.md#routing). A request without a route is served as before regions.
 *
 * - a region the node does not hold: REGION_NOT_FOUND;
 * - another epoch (the range or the replicas changed since the client's descriptor):
 *   EPOCH_NOT_MATCH;
 * - a key outside the region's range: KEY_NOT_IN_REGION;
 * - a write on a node that does not lead the region: NOT_LEADER with the leader, when known.
 *
 * The three stale-route errors carry the node's current descriptors of the regions overlapping
 * the request (and the named region, and for EPOCH_NOT_MATCH its right neighbour), at most
 * ROUTE_ERROR_REGIONS_MAX of them, so the client updates its route cache from the answer.
 * Reads are served by any replica: ReadIndex keeps a follower's linearizable read linearizable.
 */
import { type ClientRequest, ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ROUTE_ERROR_REGIONS_MAX } from "../../limits_ops.ts";
import { type RegionDescriptor, sameEpoch } from "../../region/descriptor.ts";
import { type KeySpan, type RegionCatalog, spanWithin } from "../../region/region_catalog.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { regionInfoOf } from "./regions_handler.ts";
import type { ResponseInit } from "./responses.ts";
import { requestSpans } from "./route_spans.ts";

/** Bodies that write: served only by the region's leader when routed. */
const WRITES: ReadonlySet<string | undefined> = new Set([
  "put",
  "delete",
  "batch",
  "compareAndSet",
  "increment",
  "txn",
  "expire",
  "redis",
]);

/** The refusal for a routed request the node must not serve, or undefined to serve it. */
export function checkRoute(
  req: ClientRequest,
  catalog: RegionCatalog | undefined,
): ResponseInit | undefined {
  const route = req.route;
  if (route === undefined || catalog === undefined) return undefined;
  const id = u64ToNumber(route.regionId, "region id");
  const spans = requestSpans(req) ?? [];
  const region = catalog.descriptor(id);
  if (region === undefined) {
    return stale(ErrorCode.REGION_NOT_FOUND, `region ${id} is not on this node`, catalog, spans);
  }
  const epoch = {
    version: u64ToNumber(route.epoch?.version ?? 0n, "epoch version"),
    confVer: u64ToNumber(route.epoch?.confVer ?? 0n, "epoch conf version"),
  };
  if (!sameEpoch(epoch, region.epoch)) {
    const why = `region ${id} has epoch ${epochText(region.epoch)}, ` +
      `the request was routed with ${epochText(epoch)}`;
    // After a split the region keeps its id and the left half: its right neighbour is the new
    // half, which the client's stale descriptor also covered.
    const right = region.end.length > 0 ? catalog.regionFor(region.end) : undefined;
    return stale(ErrorCode.EPOCH_NOT_MATCH, why, catalog, spans, region, right);
  }
  if (!spans.every((s) => spanWithin(region, s))) {
    const why = `a key of the request is outside region ${id}`;
    return stale(ErrorCode.KEY_NOT_IN_REGION, why, catalog, spans, region);
  }
  if (WRITES.has(req.body.case)) return leaderCheck(catalog, id);
  return undefined;
}

function leaderCheck(catalog: RegionCatalog, id: number): ResponseInit | undefined {
  const leader = catalog.leaderOf(id);
  if (leader === catalog.selfId) return undefined;
  const address = leader === 0 ? "" : catalog.node(leader)?.address ?? "";
  const why = leader === 0
    ? `region ${id} has no known leader`
    : `node ${catalog.selfId} does not lead region ${id}; node ${leader} does`;
  const error = { code: ErrorCode.NOT_LEADER, message: why, leaderAddress: address };
  return { error: { ...error, leaderId: BigInt(leader), regionId: BigInt(id) } };
}

function epochText(e: { version: number; confVer: number }): string {
  return `${e.version}/${e.confVer}`;
}

/** A stale-route error with the current descriptors of what the request touches. */
function stale(
  code: ErrorCode,
  message: string,
  catalog: RegionCatalog,
  spans: readonly KeySpan[],
  ...named: (RegionDescriptor | undefined)[]
): ResponseInit {
  const found = new Map<number, RegionDescriptor>();
  for (const d of named) if (d !== undefined) found.set(d.id, d);
  for (const s of spans) {
    for (const d of catalog.regionsOverlapping(s.start, s.end)) {
      if (found.size >= ROUTE_ERROR_REGIONS_MAX) break;
      found.set(d.id, d);
    }
  }
  const regions = [...found.values()].map((d) => regionInfoOf(catalog, d));
  return { error: { code, message, regions } };
}
