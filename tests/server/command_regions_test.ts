/**
 * Where a command's keys and ranges lie by a node's regions (src/server/node/command_regions.ts):
 * a range that starts in a region this node holds but runs past its end is that region's alone
 * only if nothing lies beyond; a next region held here makes it several, one held elsewhere makes
 * it a question for placement ("away"), never the first region's alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { localSpread, regionOfSpans } from "../../src/server/node/command_regions.ts";
import type { HostedRegion, RegionHost } from "../../src/server/node/region_host.ts";
import { NoLocalRegionError } from "../../src/server/node/region_refusals.ts";
import { containsKey } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";

function region(id: number, start: string, end: string): HostedRegion {
  const descriptor = {
    id,
    start: utf8(start),
    end: utf8(end),
    epoch: { version: 1, confVer: 1 },
    replicas: [],
  };
  return { id, kv: { descriptor } } as unknown as HostedRegion;
}

function hostOf(...regions: HostedRegion[]): RegionHost {
  return {
    all: () => regions,
    regionFor: (key: Uint8Array) => regions.find((r) => containsKey(r.kv.descriptor, key)),
  } as unknown as RegionHost;
}

const span = (key: string, rangeEnd = "") => ({ key: utf8(key), rangeEnd: utf8(rangeEnd) });
const OPEN = { key: utf8("t/b/"), rangeEnd: new Uint8Array([0]) };

test("command regions: a range past its region's end into a region held elsewhere is away", () => {
  const five = region(5, "s/", "t/b/1"), four = region(4, "t/b/1", "");
  const lacking = hostOf(five); // region 4 is held by other nodes only
  // The prefix t/b/ runs from region 5 into region 4.
  assert.throws(() => regionOfSpans(lacking, [span("t/b/", "t/b0")]), NoLocalRegionError);
  assert.throws(() => regionOfSpans(lacking, [OPEN]), NoLocalRegionError);
  assert.equal(localSpread(lacking, [span("t/b/", "t/b0")]), "away");
  // Within region 5: its own.
  assert.equal(regionOfSpans(lacking, [span("t/a/", "t/b/1")]).id, 5);
  assert.equal(regionOfSpans(lacking, [span("t/a/1")]).id, 5);
  // Holding both: several.
  const both = hostOf(five, four);
  assert.equal(localSpread(both, [span("t/b/", "t/b0")]), "several");
  assert.equal(localSpread(both, [OPEN]), "several");
  // The last region holds every range starting in it.
  assert.equal(regionOfSpans(both, [span("t/b/2", "\u00ff")]).id, 4);
});

test("command regions: single keys — the holding region, several, or away", () => {
  const five = region(5, "s/", "t/b/1"), four = region(4, "t/b/1", "");
  const both = hostOf(five, four), lacking = hostOf(five);
  assert.equal(regionOfSpans(both, [span("t/b/2")]).id, 4);
  assert.equal(regionOfSpans(both, [span("s/x")]).id, 5);
  assert.throws(() => regionOfSpans(lacking, [span("t/b/2")]), NoLocalRegionError);
  assert.equal(localSpread(lacking, [span("t/b/2")]), "away");
  assert.equal(localSpread(both, [span("s/x"), span("t/b/2")]), "several");
  assert.equal(regionOfSpans(both, [span("s/x"), span("s/y")]).id, 5);
});
