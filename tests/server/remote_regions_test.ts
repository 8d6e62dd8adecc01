/**
 * A node's forwarding of what it holds no replica of (remote_regions.ts), without a cluster: with
 * no route from placement, or no address for the region's replicas, the request fails with
 * UNAVAILABLE naming the key and why, after a bounded number of placement lookups; keys over two
 * regions are refused as on any node; a stale route's refusal replaces the route with the refusing
 * node's current descriptors (placement lags a split). (Sending on is tested with real nodes in
 * region_forwarding_node_test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ErrorCode, RegionInfoSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { NODE_ROUTE_ATTEMPTS_MAX } from "../../src/limits_ops.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Net } from "../../src/platform/types.ts";
import { keySpan } from "../../src/region/region_catalog.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import type { PlacementRoute } from "../../src/server/placement/placement_route.ts";
import { RemoteRegions } from "../../src/server/node/remote_regions.ts";
import { utf8 } from "../../src/util/bytes.ts";

const NO_NET: Net = {
  listen: () => Promise.reject(new Error("not used")),
  connect: () => Promise.reject(new Error("no connection expected")),
};

function remote(route: (key: Uint8Array) => PlacementRoute) {
  let lookups = 0;
  const r = new RemoteRegions({
    net: NO_NET,
    clock: getPlatform().clock,
    selfId: 3,
    requestTimeoutMs: 1000,
    route: (key) => (lookups++, Promise.resolve(route(key))),
    addressOf: () => undefined,
  });
  return { r, lookups: () => lookups };
}

const PUT = { body: { case: "put" as const, value: { key: utf8("k1"), value: utf8("v") } } };

function unavailable(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ServiceError, String(err));
    assert.equal(err.code, ErrorCode.UNAVAILABLE);
    assert.match(err.message, pattern);
    return true;
  };
}

test("remote regions: no region known to placement: UNAVAILABLE saying so", async () => {
  const { r, lookups } = remote(() => ({ leader: 0 }));
  await assert.rejects(
    r.execute(PUT, [keySpan(utf8("k1"))], 1000),
    unavailable(/no route to the region of key 0x6b31 from node 3 .*placement knows no region/),
  );
  await assert.rejects(r.get(utf8("k1"), "linearizable", 0), unavailable(/no route/));
  assert.equal(lookups(), 2);
  r.close();
});

test("remote regions: no address for any replica: a bounded number of lookups, then UNAVAILABLE", async () => {
  const region = {
    id: 7,
    start: utf8("k"),
    end: utf8("l"),
    epoch: { version: 2, confVer: 3 },
    replicas: [{ nodeId: 1, role: "voter" as const }, { nodeId: 2, role: "voter" as const }],
  };
  const { r, lookups } = remote(() => ({ region, leader: 1 }));
  await assert.rejects(
    r.execute(PUT, [keySpan(utf8("k1"))], 1000),
    unavailable(/no address is known for a replica of region 7/),
  );
  assert.equal(lookups(), NODE_ROUTE_ATTEMPTS_MAX);
  // Keys in this region and past its end: refused whole, as a command over two regions.
  await assert.rejects(
    r.execute(PUT, [keySpan(utf8("k1")), keySpan(utf8("m"))], 1000),
    (err: unknown) => err instanceof ServiceError && err.code === ErrorCode.FAILED_PRECONDITION,
  );
  r.close();
});

test("remote regions: a stale route's refusal brings the current descriptors, placement lagging", async () => {
  const replicas = [{ nodeId: 1, role: "voter" as const }, { nodeId: 2, role: "voter" as const }];
  // Placement has not heard of the split yet: it answers the parent as it was.
  const parent = { id: 6, start: utf8("k"), end: utf8("m"), epoch: { version: 1, confVer: 1 } };
  const { r, lookups } = remote(() => ({ region: { ...parent, replicas }, leader: 1 }));
  assert.equal((await r.locate(utf8("l1")))?.id, 6);
  const info = (id: number, start: string, end: string) =>
    create(RegionInfoSchema, {
      id: BigInt(id),
      start: utf8(start),
      end: utf8(end),
      epoch: { version: 2n, confVer: 1n },
      replicas: replicas.map((p) => ({ nodeId: BigInt(p.nodeId) })),
      leaderId: 1n,
    });
  // The region's leader refused the stale route with its halves (route_check.ts).
  r.forget(6, [info(6, "k", "l"), info(16, "l", "m")]);
  const [left, right] = [await r.locate(utf8("k1")), await r.locate(utf8("l1"))];
  assert.deepEqual([left?.id, left?.epoch.version], [6, 2]);
  assert.deepEqual([right?.id, right?.epoch.version], [16, 2]);
  assert.equal(lookups(), 1, "placement was not asked again (it would answer the stale parent)");
  r.close();
});
