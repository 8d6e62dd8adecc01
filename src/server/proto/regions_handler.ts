/**
 * The `Regions` request (docs/regions.md#routing): the descriptors, leaders and sizes of the
 * regions overlapping a key range, from the node's region catalog, and the same descriptors as
 * stale-route errors carry them.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  ErrorCode,
  type RegionInfoSchema,
  type RegionsRequest,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import { REGIONS_RESPONSE_MAX } from "../../limits_ops.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import { errorResponse, type ResponseInit } from "./responses.ts";

export type RegionInfoInit = MessageInitShape<typeof RegionInfoSchema>;

/** A descriptor as the wire carries it, with what the node knows of its leader and size. */
export function regionInfoOf(catalog: RegionCatalog, d: RegionDescriptor): RegionInfoInit {
  const report = catalog.report(d.id);
  return {
    id: BigInt(d.id),
    start: d.start,
    end: d.end,
    epoch: { version: BigInt(d.epoch.version), confVer: BigInt(d.epoch.confVer) },
    replicas: d.replicas.map((p) => {
      const label = catalog.node(p.nodeId);
      return {
        nodeId: BigInt(p.nodeId),
        learner: p.role === "learner",
        zone: label?.zone ?? "",
        address: label?.address ?? "",
      };
    }),
    leaderId: BigInt(report?.leaderId ?? 0),
    approximateBytes: BigInt(report?.approximateBytes ?? 0),
    approximateKeys: BigInt(report?.approximateKeys ?? 0),
  };
}

export function handleRegions(
  request: RegionsRequest,
  catalog: RegionCatalog | undefined,
): ResponseInit {
  if (catalog === undefined) {
    return errorResponse(ErrorCode.UNAVAILABLE, "this node does not serve regions");
  }
  const limit = request.limit === 0 ? REGIONS_RESPONSE_MAX : Math.min(
    request.limit,
    REGIONS_RESPONSE_MAX,
  );
  const all = catalog.regionsOverlapping(request.start, request.end);
  const regions = all.slice(0, limit).map((d) => regionInfoOf(catalog, d));
  return { body: { case: "regions", value: { regions, more: all.length > limit } } };
}
