/**
 * Interim rules of the node holding many regions (docs/regions.md): region ids are never used
 * twice, even by a node whose data directory was wiped (region_ids.ts), and a member removed
 * from region 1 leaves every region (region_membership.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { createPrng } from "../../src/util/prng.ts";
import { REGION_IDS_PER_NODE } from "../../src/limits_ops.ts";
import { RegionIdAllocator } from "../../src/server/node/region_ids.ts";
import { nextChange } from "../../src/server/node/region_membership.ts";
import { ConfChangeType } from "../../src/raft/core/confchange/conf_change.ts";
import { type ConfState, EMPTY_CONF_STATE } from "../../src/raft/core/messages.ts";

test("region ids: a wiped node skips every id of its block the regions it holds carry", async () => {
  const fs = new SimFileSystem(createPrng(1), new SimClock());
  fs.mkdir("/d");
  const base = 2 * REGION_IDS_PER_NODE;
  const before = new RegionIdAllocator(fs, "/d", 2);
  const used = [await before.next(), await before.next(), await before.next()];
  assert.deepEqual(used, [base + 1, base + 2, base + 3]);
  // The wipe: REGION-IDS is gone; the regions it made come back from their replicas.
  fs.remove("/d/REGION-IDS");
  const wiped = new RegionIdAllocator(fs, "/d", 2);
  const known = [1, base + 1, base + 3, 3 * REGION_IDS_PER_NODE + 9];
  assert.equal(await wiped.next(known), base + 4);
  assert.equal(await wiped.next(known), base + 5);
  // Without the regions it would reuse an id: why splits wait until every region is held.
  fs.remove("/d/REGION-IDS");
  assert.equal(await new RegionIdAllocator(fs, "/d", 2).next(), base + 1);
});

const conf = (voters: number[], learners: number[] = []): ConfState => ({
  ...EMPTY_CONF_STATE,
  voters,
  learners,
});

test("region membership: removed members leave; a region short of voters takes members back", () => {
  const all = () => true, none = () => false;
  const want = conf([1, 2, 3, 4]);
  const at = (confState: ConfState, self = 1, caughtUp = all) => ({
    confState,
    self,
    replicas: 3,
    caughtUp,
  });
  // Three voters of four members: placement's choice, left alone (no learner added, none promoted).
  assert.equal(nextChange(want, at(conf([1, 2, 3]))), undefined);
  assert.equal(nextChange(want, at(conf([1, 2, 4], [3]))), undefined);
  // Short of voters: a member of region 1 joins as a learner, then is promoted once caught up.
  const add = { type: ConfChangeType.AddLearner, nodeId: 3 };
  assert.deepEqual(nextChange(want, at(conf([1, 2]))), add);
  assert.equal(nextChange(want, at(conf([1, 2], [3]), 1, none)), undefined);
  const promote = { type: ConfChangeType.AddNode, nodeId: 3 };
  assert.deepEqual(nextChange(want, at(conf([1, 2], [3]))), promote);
  // A learner of region 1 is a member too (a sharded cluster's region 1 has --replicas voters):
  // a region short of voters takes it, and keeps a replica there.
  const capped = conf([1, 2], [3, 4]);
  assert.deepEqual(nextChange(capped, at(conf([1, 2]))), add);
  assert.equal(nextChange(capped, at(conf([1, 2, 4]))), undefined);
  // A member region 1 no longer has is removed; a leader removed hands leadership over first,
  // to a voter of the region (not a learner of it).
  const two = conf([2, 3]);
  const remove = { type: ConfChangeType.RemoveNode, nodeId: 1 };
  assert.deepEqual(nextChange(two, at(conf([1, 2, 3]), 2)), remove);
  assert.deepEqual(nextChange(two, at(conf([1, 2, 3]), 1)), { transferTo: 2 });
  assert.deepEqual(nextChange(two, at(conf([1, 3], [2]), 1)), { transferTo: 3 });
  assert.equal(nextChange(two, at(two, 2)), undefined);
  // A node that joined and has not had region 1's image yet knows no members: it changes nothing
  // in a region it leads (it removed both other voters before: sim seed 99 with merges).
  assert.equal(nextChange(EMPTY_CONF_STATE, at(conf([1, 2, 3]), 1)), undefined);
  assert.equal(nextChange(conf([], [1]), at(conf([1, 2]), 1)), undefined);
});
