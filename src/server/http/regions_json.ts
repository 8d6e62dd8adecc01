/**
 * `GET /regions`: the regions this node holds, in key order, as `tinykv regions --json` prints
 * them (the same objects: src/client/region_wire.ts), at most REGIONS_RESPONSE_MAX of them.
 */
import { create } from "@bufbuild/protobuf";
import { RegionInfoSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { regionFromWire, regionJson } from "../../client/region_wire.ts";
import { REGIONS_RESPONSE_MAX } from "../../limits_ops.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import { regionInfoOf } from "../proto/regions_handler.ts";

const EMPTY = new Uint8Array(0);

export function regionsJson(catalog: RegionCatalog): Record<string, unknown> {
  const all = catalog.regionsOverlapping(EMPTY, EMPTY);
  const regions = all.slice(0, REGIONS_RESPONSE_MAX).map((d) =>
    regionJson(regionFromWire(create(RegionInfoSchema, regionInfoOf(catalog, d))))
  );
  return { node: catalog.selfId, regions, more: all.length > REGIONS_RESPONSE_MAX };
}

/** The /cluster view with this node's regions added (`regions`), for the dashboard. */
export async function withRegions(
  view: () => Promise<object>,
  catalog: RegionCatalog,
): Promise<Record<string, unknown>> {
  return { ...await view(), regions: regionsJson(catalog) };
}
