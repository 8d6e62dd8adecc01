/**
 * Region reports carry their leader's Raft term (src/placement/cluster_view.ts): at one epoch a
 * report of a lower term is older whatever order it applied in, so a deposed leader's heartbeat
 * applied after its successor's does not bring the old leader back; and images written before
 * terms were (version 1) still load, their terms 0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterView, type RegionInfo } from "../../src/placement/cluster_view.ts";
import { decodeImage } from "../../src/placement/placement_image.ts";
import { PlacementState } from "../../src/placement/placement_state.ts";
import { initialRegion } from "../../src/region/descriptor.ts";
import { BOOTSTRAP, entries } from "./placement_fixtures.ts";

function report(leader: number, term: number, reportedMs: number): RegionInfo {
  return {
    descriptor: initialRegion([1, 2, 3]),
    leader,
    sizeBytes: 0,
    writesPerSec: 0,
    caughtUp: [1, 2, 3],
    reportedMs,
    term,
  };
}

test("report term: a deposed leader's later report does not replace its successor's", () => {
  const view = new ClusterView(30_000);
  assert.equal(view.regionReport(report(2, 5, 100)), true);
  // Node 1 led in term 4; its heartbeat applies after node 2's of term 5 (same epoch).
  assert.equal(view.regionReport(report(1, 4, 200)), false);
  assert.equal(view.region(1)?.leader, 2);
  // The same term, applied later: taken (a newer report of the same leader).
  assert.equal(view.regionReport(report(2, 5, 300)), true);
  assert.equal(view.region(1)?.reportedMs, 300);
  // A later term: taken.
  assert.equal(view.regionReport(report(3, 6, 400)), true);
  assert.equal(view.region(1)?.leader, 3);
});

test("report term: a version 1 image (no terms) loads with every term 0", () => {
  const s = new PlacementState({ replaceTimeoutMs: 30_000 });
  s.apply(entries([BOOTSTRAP])); // one region, reported at term 0: the image's last byte
  const v2 = s.image();
  assert.equal(v2[0], 2);
  assert.equal(v2[v2.length - 1], 0, "the region's term, last");
  const v1 = v2.slice(0, v2.length - 1);
  v1[0] = 1;
  assert.deepEqual(decodeImage(v1), decodeImage(v2));
  assert.equal(decodeImage(v1).regions[0].term, 0);
});
