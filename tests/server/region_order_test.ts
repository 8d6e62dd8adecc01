import { test } from "node:test";
import assert from "node:assert/strict";
import { descriptorReplacements, RegionKv } from "../../src/kv/region_apply.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { openKv } from "../kv/kv_helpers.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { regionHolding, RegionOrder } from "../../src/server/node/region_order.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** A hosted region as the order reads it: its descriptor and merge state. */
class FakeRegion {
  descriptor: RegionDescriptor;
  merge: { stage: string } | undefined = undefined;
  constructor(readonly id: number, start: string, end: string) {
    this.descriptor = this.#of(start, end);
  }
  range(start: string, end: string): void {
    this.descriptor = this.#of(start, end);
  }
  #of(start: string, end: string): RegionDescriptor {
    const epoch = { version: 1, confVer: 1 };
    return { id: this.id, start: enc(start), end: enc(end), epoch, replicas: [] };
  }
  get hosted(): HostedRegion {
    return { id: this.id, kv: this } as unknown as HostedRegion;
  }
}

test("regions come in key order, sorted again when a range or the set changes", () => {
  const a = new FakeRegion(1, "", "g"),
    b = new FakeRegion(2, "g", "p"),
    c = new FakeRegion(3, "p", "");
  const order = new RegionOrder();
  let lists = 0;
  let set = [c, a, b], replaced = 0;
  const of = (generation: number) =>
    order.of(generation, () => {
      lists++;
      return set.map((r) => r.hosted);
    }, replaced).map((r) => r.id);
  assert.deepEqual(of(0), [1, 2, 3]);
  assert.deepEqual(of(0), [1, 2, 3]);
  assert.equal(lists, 1, "an unchanged host is not listed again");
  // Ranges replaced (an image, a merge): the same generation, a descriptor replaced.
  a.range("", "c");
  b.range("c", "");
  c.range("x", "");
  replaced++;
  assert.deepEqual(of(0), [1, 2, 3]);
  assert.equal(lists, 2);
  b.range("a", "");
  a.range("", "a");
  set = [b, a];
  assert.deepEqual(of(1), [1, 2], "a new generation lists the host's regions again");
  assert.equal(lists, 3);
});

test("the region holding a key skips one merged away", () => {
  const left = new FakeRegion(1, "", "m"), right = new FakeRegion(2, "m", "");
  const source = new FakeRegion(3, "m", "t");
  const order = new RegionOrder().of(0, () => [left.hosted, source.hosted, right.hosted], 0);
  assert.equal(regionHolding(order, enc("b"))?.id, 1);
  assert.equal(regionHolding(order, enc("n"))?.id, 3);
  source.merge = { stage: "merged" };
  assert.equal(regionHolding(order, enc("n"))?.id, 2);
  assert.equal(regionHolding(order, enc("z"))?.id, 2);
});

test("a region's descriptor set anew moves the count the order compares", async () => {
  const { db } = await openKv(createSimWorld(7));
  const before = descriptorReplacements();
  const region = await RegionKv.open(db, 1, { voters: [1] });
  assert.ok(descriptorReplacements() > before, "a region opened has a new descriptor");
  const opened = descriptorReplacements();
  region.adopt({ ...region.descriptor, epoch: { version: 1, confVer: 2 } });
  assert.equal(descriptorReplacements(), opened + 1, "a membership change replaces it");
  region.adopt(region.descriptor);
  assert.equal(
    descriptorReplacements(),
    opened + 1,
    "the same descriptor adopted again is no change",
  );
  region.adopt({ ...region.descriptor, id: 9 });
  assert.equal(descriptorReplacements(), opened + 1, "another region's descriptor is not taken");
});

test("the region holding a key: binary search over disjoint ranges agrees with the walk", () => {
  const bounds = ["", "b", "d", "f", "k", "m", "q", "t", "w", ""];
  const regions = bounds.slice(0, -1).map((start, i) =>
    new FakeRegion(i + 1, start, bounds[i + 1])
  );
  const order = new RegionOrder();
  const sorted = order.of(0, () => [...regions].reverse().map((r) => r.hosted), 0);
  assert.equal(order.disjoint, true);
  regions[4].merge = { stage: "merged" }; // "k".."m": nobody holds it here now
  for (const k of ["", "a", "b", "c", "d", "e", "k", "kz", "l", "m", "q", "t", "w", "zz"]) {
    const walk = regionHolding(sorted, enc(k));
    assert.equal(regionHolding(sorted, enc(k), true)?.id, walk?.id, `key "${k}"`);
  }
  assert.equal(regionHolding(sorted, enc("kk"), true), undefined);
  assert.equal(regionHolding(sorted, enc("zz"), true)?.id, 9);
  // A gap (a region not hosted here): no region holds its keys.
  const gap = new RegionOrder();
  const two = gap.of(0, () => [regions[0].hosted, regions[2].hosted], 0);
  assert.equal(gap.disjoint, true);
  assert.equal(regionHolding(two, enc("c"), true), undefined);
  assert.equal(regionHolding(two, enc("e"), true)?.id, 3);
  // Overlapping ranges (a merge's target widened before its source is dropped) are walked.
  const target = new FakeRegion(20, "m", ""), source = new FakeRegion(21, "m", "t");
  const both = new RegionOrder();
  both.of(0, () => [regions[0].hosted, source.hosted, target.hosted], 0);
  assert.equal(both.disjoint, false);
});
