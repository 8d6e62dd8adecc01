/**
 * Split children of a replica that may not vote (src/server/node/split_child_votes.ts): a node
 * rebuilding after it lost its state replays region 1's splits, and each child starts with an
 * empty log of its own though this node had acknowledged the child's entries before the wipe.
 * A child whose parent replica did not vote yet when the split was applied holds its vote until
 * one read barrier of its own has passed (its leader's commit index, confirmed after the split
 * was replayed, applied here); a child of a voting parent, or on a node that did not lose its
 * state, votes at once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SplitReport } from "../../src/kv/region_apply.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import {
  type ChildVoteDeps,
  holdChildVotes,
  SplitHolds,
} from "../../src/server/node/split_child_votes.ts";
import { SILENT_LOGGER } from "../../src/server/log/logger.ts";

/** A replica whose read barrier passes when the test says so. */
function replica(id: number, suppressVotes: boolean) {
  let pass: (ok: boolean) => void = () => {};
  const hosted = {
    id,
    group: { suppressVotes },
    reads: { passOnce: () => new Promise<boolean>((resolve) => pass = resolve) },
  };
  return { hosted: hosted as unknown as HostedRegion, pass: (ok = true) => pass(ok) };
}

function split(parent: number, child: number): SplitReport {
  const d = (id: number) => ({
    id,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 2, confVer: 1 },
    replicas: [],
  });
  return { left: d(parent), right: d(child), index: 100, revision: 0 };
}

/** A node's regions, each on its driver while in `regions`; `rebuild`: it lost its state. */
function hostOf(regions: Map<number, { hosted: HostedRegion }>, rebuild = true): ChildVoteDeps {
  return {
    region: (id) => regions.get(id)?.hosted,
    d: {
      raft: { driver: { regionNode: (id: number) => regions.get(id) } },
      closed: () => false,
      o: { logger: SILENT_LOGGER, rebuild },
    } as unknown as ChildVoteDeps["d"],
  };
}

test("split child votes: a child of a parent not voting holds its vote until it caught up", async () => {
  const rebuilding = replica(1, true), voting = replica(2, false);
  const heldChild = replica(3, false), freeChild = replica(4, false);
  const regions = new Map([rebuilding, voting, heldChild, freeChild].map((r) => [r.hosted.id, r]));
  const host = hostOf(regions), holds = new SplitHolds(host);
  // Told as each split is applied (region_host.ts `splitApplied`); the children are added later.
  holds.applied(split(1, 3));
  holds.applied(split(2, 4));
  // A child of a child not added yet (its hold not set): held too, its parent's entries may apply
  // before its parent's hold is set.
  holds.applied(split(3, 5));
  assert.deepEqual(holds.decided([3, 4, 5]), [3, 5], "not the child of the voting parent");
  // A node that did not lose its state never acknowledged anything of a child it makes now.
  const fresh = new SplitHolds(hostOf(regions, false));
  fresh.applied(split(1, 3));
  assert.deepEqual(fresh.decided([3]), []);
  holds.hold([3]);
  assert.deepEqual(holds.decided([3, 5]), [5], "3's own flag speaks for it from now on");
  assert.equal(heldChild.hosted.group.suppressVotes, true, "held from its first round");
  assert.equal(freeChild.hosted.group.suppressVotes, false);
  await Promise.resolve();
  assert.equal(heldChild.hosted.group.suppressVotes, true, "still held before its barrier passed");
  heldChild.pass();
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(heldChild.hosted.group.suppressVotes, false, "votes once caught up");
});

test("split child votes: a child that left the node meanwhile is not touched", async () => {
  const parent = replica(1, true), child = replica(3, false);
  const regions = new Map([[1, parent], [3, child]]);
  const host = hostOf(regions);
  holdChildVotes(host, [3]);
  regions.delete(3); // removed from this node (its barrier gives up: gone)
  child.pass(false);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(child.hosted.group.suppressVotes, true, "a barrier that gave up frees nothing");
});
