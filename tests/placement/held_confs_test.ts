/**
 * What the placement leader keeps of heartbeats' held lists (src/placement/held_confs.ts): a
 * partial list updates only what it names; a configuration counts as applied only once every
 * voter reported it or a later one; and past `PLACEMENT_HELD_TRACKED_MAX` pairs new ones are not
 * kept (the replicas they would release wait) while those kept still update.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HeldConfs } from "../../src/placement/held_confs.ts";
import { PLACEMENT_HELD_TRACKED_MAX } from "../../src/limits_ops.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";

function region(id: number, confVer: number, voters: number[], learners: number[] = []) {
  const replicas = [
    ...voters.map((nodeId) => ({ nodeId, role: "voter" as const })),
    ...learners.map((nodeId) => ({ nodeId, role: "learner" as const })),
  ];
  const d: RegionDescriptor = {
    id,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 1, confVer },
    replicas,
  };
  return d;
}

test("held confs: every voter must have applied the configuration; learners do not count", () => {
  const h = new HeldConfs();
  const d = region(7, 12, [1, 2, 3], [4]);
  assert.equal(h.allVotersApplied(d), false, "nothing reported");
  h.record(1, [{ regionId: 7, confVer: 12 }, { regionId: 8, confVer: 3 }]);
  h.record(2, [{ regionId: 7, confVer: 13 }]);
  h.record(3, [{ regionId: 7, confVer: 11 }]);
  assert.equal(h.allVotersApplied(d), false, "node 3 is one version behind");
  h.record(3, [{ regionId: 9, confVer: 1 }]); // a partial list: region 7's entry stays
  assert.equal(h.applied(7, 3), 11);
  h.record(3, [{ regionId: 7, confVer: 12 }]);
  assert.equal(h.allVotersApplied(d), true, "learner 4 never reported, and need not");
  assert.equal(h.size, 5);
});

test("held confs: past the bound new pairs are not kept, kept ones still move", () => {
  const h = new HeldConfs();
  const held = Array.from({ length: PLACEMENT_HELD_TRACKED_MAX }, (_, i) => ({
    regionId: i + 2,
    confVer: 1,
  }));
  h.record(1, held);
  assert.equal(h.size, PLACEMENT_HELD_TRACKED_MAX);
  h.record(2, [{ regionId: 2, confVer: 5 }]);
  h.record(1, [{ regionId: PLACEMENT_HELD_TRACKED_MAX + 2, confVer: 1 }]);
  assert.equal(h.size, PLACEMENT_HELD_TRACKED_MAX, "no new pair, for a known region or not");
  assert.equal(h.applied(2, 2), undefined);
  assert.equal(h.applied(PLACEMENT_HELD_TRACKED_MAX + 2, 1), undefined);
  h.record(1, [{ regionId: 2, confVer: 9 }]);
  assert.equal(h.applied(2, 1), 9, "a kept pair is updated");
  // A sweep of regions gone makes room again.
  h.prune((id) => id !== 2);
  assert.equal(h.size, PLACEMENT_HELD_TRACKED_MAX - 1);
  h.record(2, [{ regionId: 3, confVer: 4 }]);
  assert.equal(h.applied(3, 2), 4);
});
