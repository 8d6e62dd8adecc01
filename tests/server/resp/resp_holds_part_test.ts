/**
 * holdsPart (resp_redis_bridge.ts): whether a node holds only part of the keyspace, asked on
 * every GET run. One region over every key answers without listing the regions; a node whose
 * regions tile the keyspace holds all of it; a gap at the start, in the middle or at the end
 * means part.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type RegionDescriptor, splitDescriptor } from "../../../src/region/descriptor.ts";
import type { RegionCatalog } from "../../../src/region/region_catalog.ts";
import { RegionMap } from "../../../src/region/region_map.ts";
import type { RespContext } from "../../../src/server/resp/resp_command.ts";
import { holdsPart } from "../../../src/server/resp/resp_redis_bridge.ts";
import { utf8 } from "../../../src/util/bytes.ts";

const WHOLE: RegionDescriptor = {
  id: 1,
  start: new Uint8Array(0),
  end: new Uint8Array(0),
  epoch: { version: 1, confVer: 1 },
  replicas: [{ nodeId: 1, role: "voter" }],
};

/** A context whose service's catalog holds `held` (and counts the region lists it made). */
function contextHolding(held: readonly RegionDescriptor[]) {
  const map = new RegionMap();
  for (const d of held) map.update(d);
  const asked = { lists: 0 };
  const regions: RegionCatalog = {
    selfId: 1,
    regionFor: (key) => map.lookup(key),
    regionsOverlapping: (start, end) => (asked.lists++, map.overlapping(start, end)),
    descriptor: (id) => map.byId(id),
    leaderOf: () => 1,
    report: () => undefined,
    node: () => undefined,
  };
  const ctx = { service: { regions } } as unknown as RespContext;
  return { ctx, asked };
}

test("holdsPart: one region over every key holds all, with no region list made", () => {
  const { ctx, asked } = contextHolding([WHOLE]);
  assert.equal(holdsPart(ctx), false);
  assert.equal(asked.lists, 0);
});

test("holdsPart: regions that tile the keyspace hold all; any gap holds part", () => {
  const [a, rest] = splitDescriptor(WHOLE, utf8("g"), 2);
  const [b, c] = splitDescriptor(rest, utf8("p"), 3);
  assert.equal(holdsPart(contextHolding([a, b, c]).ctx), false);
  assert.equal(holdsPart(contextHolding([b, c]).ctx), true, "a gap at the start");
  assert.equal(holdsPart(contextHolding([a, c]).ctx), true, "a gap in the middle");
  assert.equal(holdsPart(contextHolding([a, b]).ctx), true, "a gap at the end");
  assert.equal(holdsPart(contextHolding([]).ctx), true, "no region at all");
});
