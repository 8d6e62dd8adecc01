/**
 * The bound on the descriptors a stale-route error carries (ROUTE_ERROR_REGIONS_MAX): a routed
 * request spanning more regions than that gets an answer with exactly that many, the first ones
 * in key order, so one bad request cannot make a node build an unbounded error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientRequestSchema, ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ROUTE_ERROR_REGIONS_MAX } from "../../../src/limits_ops.ts";
import { type RegionDescriptor, splitDescriptor } from "../../../src/region/descriptor.ts";
import type { RegionCatalog } from "../../../src/region/region_catalog.ts";
import { RegionMap } from "../../../src/region/region_map.ts";
import { checkRoute } from "../../../src/server/proto/route_check.ts";
import { utf8 } from "../../../src/util/bytes.ts";

/** A node holding `count` regions split at "k0001", "k0002", …, all led by itself. */
function catalogOf(count: number): RegionCatalog {
  const map = new RegionMap();
  let last: RegionDescriptor = {
    id: 1,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 1, confVer: 1 },
    replicas: [{ nodeId: 1, role: "voter" }],
  };
  for (let i = 1; i < count; i++) {
    const [left, right] = splitDescriptor(last, utf8(`k${String(i).padStart(4, "0")}`), i + 1);
    map.update(left);
    last = right;
  }
  map.update(last);
  return {
    selfId: 1,
    regionFor: (key) => map.lookup(key),
    regionsOverlapping: (start, end) => map.overlapping(start, end),
    descriptor: (id) => map.byId(id),
    leaderOf: () => 1,
    report: () => undefined,
    node: () => ({ address: "127.0.0.1:1", zone: "" }),
  };
}

function routedScan(regionId: bigint, version: bigint) {
  return create(ClientRequestSchema, {
    body: { case: "scan", value: { start: new Uint8Array(0), end: new Uint8Array(0) } },
    route: { regionId, epoch: { version, confVer: 1n } },
  });
}

test("route check: a stale route over many regions carries at most the bound's descriptors", () => {
  const catalog = catalogOf(ROUTE_ERROR_REGIONS_MAX * 2 + 5);
  for (
    const [regionId, code] of [[999n, ErrorCode.REGION_NOT_FOUND], [
      1n,
      ErrorCode.KEY_NOT_IN_REGION,
    ]] as const
  ) {
    const refusal = checkRoute(routedScan(regionId, 2n), catalog);
    assert.equal(refusal?.error?.code, code);
    const ids = (refusal?.error?.regions ?? []).map((r) => Number(r.id));
    assert.equal(ids.length, ROUTE_ERROR_REGIONS_MAX);
    // The named region first (when there is one), then the overlapping ones in key order.
    assert.deepEqual(ids, Array.from({ length: ROUTE_ERROR_REGIONS_MAX }, (_, i) => i + 1));
  }
});

test("route check: under the bound, every overlapping region is carried", () => {
  const catalog = catalogOf(3);
  const refusal = checkRoute(routedScan(999n, 1n), catalog);
  assert.equal(refusal?.error?.code, ErrorCode.REGION_NOT_FOUND);
  assert.deepEqual((refusal?.error?.regions ?? []).map((r) => Number(r.id)), [1, 2, 3]);
});
