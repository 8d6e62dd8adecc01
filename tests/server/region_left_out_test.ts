/**
 * A replica left out of its own configuration (src/server/node/region_operators.ts, docs/regions.md
 * "Removed replicas"). Applying its own removal no longer drops it: a voter that has not learned
 * the removal committed counts it in its quorum and may need its vote (the 1M-key e2e run: region
 * 17 leaderless for good once its leader died). It drops at placement's tombstone, which comes
 * once every voter applied the configuration; or, with no tombstone (a region merged away, no
 * placement answering), once no peer message has reached it for `leftOutQuietMs` — vote requests
 * from a voter still counting it keep it. Meanwhile the node asks for a heartbeat every second.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import { RegionNode } from "../../src/raft/multi/region_node.ts";
import type { RegionReplica } from "../../src/raft/multi/region_replica.ts";
import type { Clock } from "../../src/platform/types.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { OperatorRunner } from "../../src/server/node/region_operators.ts";
import { isLeftOut } from "../../src/server/node/left_out.ts";
import { SILENT_LOGGER } from "../../src/server/log/logger.ts";

const SELF = 1;
const QUIET_MS = 5_000;

function descriptor(confVer: number, nodes: number[]): RegionDescriptor {
  return {
    id: 5,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 2, confVer },
    replicas: nodes.map((nodeId) => ({ nodeId, role: "voter" as const })),
  };
}

/** Region 5 on this node: applied up to its commit, its descriptor as given. */
function setup(d: RegionDescriptor, addsSelfAfter = (_index: number) => false) {
  let now = 0;
  const replica = {
    messagesIn: 0,
    rawNode: { isLeader: false, status: () => ({ commit: 40 }) },
  };
  const group = new RegionNode({} as MultiRaftDriver, replica as unknown as RegionReplica);
  const region = { id: 5, kv: { descriptor: d, appliedIndex: 40 }, group };
  const removed: string[] = [];
  let reports = 0;
  const clock = { nowMs: () => now } as Clock;
  const runner = new OperatorRunner({
    region: (id) => id === 5 ? region as unknown as HostedRegion : undefined,
    regions: () => [region as unknown as HostedRegion],
    selfId: SELF,
    transferLeader: () => {},
    removeReplica: (id, why) => removed.push(`${id}: ${why}`),
    addsSelfAfter: (_id, index) => addsSelfAfter(index),
    reportSoon: () => reports++,
    leftOutQuietMs: QUIET_MS,
    clock,
    logger: SILENT_LOGGER,
    intervalMs: 1_000,
  });
  return {
    runner,
    region,
    replica,
    removed,
    reports: () => reports,
    at: (ms: number) => (now = ms, runner.check()),
  };
}

test("left out: kept while messages come, dropped after the quiet time; heartbeats asked", () => {
  const s = setup(descriptor(9, [2, 3]));
  s.at(0);
  assert.equal(s.reports(), 1, "a heartbeat is asked for at once");
  s.at(500);
  assert.equal(s.reports(), 1, "and then at most once a second");
  s.at(1_000);
  assert.equal(s.reports(), 2);
  // A candidate's vote requests keep coming: the replica stays however long.
  for (let t = 2_000; t <= 20_000; t += 1_000) {
    s.replica.messagesIn++;
    s.at(t);
  }
  assert.deepEqual(s.removed, []);
  s.at(20_000 + QUIET_MS - 1);
  assert.deepEqual(s.removed, [], "quiet, but not for long enough");
  s.at(20_000 + QUIET_MS);
  assert.equal(s.removed.length, 1);
  assert.match(s.removed[0], /^5: left out at conf version 9, quiet 5000 ms$/);
});

test("left out: a replica not caught up, or leading, is not dropped for quiet", () => {
  const s = setup(descriptor(9, [2, 3]));
  s.region.kv.appliedIndex = 39; // commit 40 not applied: its log may add it back
  s.at(0);
  s.at(QUIET_MS * 3);
  assert.deepEqual(s.removed, []);
  s.region.kv.appliedIndex = 40;
  s.replica.rawNode.isLeader = true; // a leader is in its configuration (an image behind?)
  s.at(QUIET_MS * 4);
  assert.deepEqual(s.removed, []);
  s.replica.rawNode.isLeader = false;
  s.at(QUIET_MS * 5);
  assert.equal(s.removed.length, 1);
});

test("left out: placement's tombstone drops it at once; an older one, or a member, is kept", () => {
  const s = setup(descriptor(9, [2, 3]));
  s.runner.receive([], [{ regionId: 5, confVer: 8 }]);
  assert.deepEqual(s.removed, [], "the tombstone is older than what this replica applied");
  s.runner.receive([], [{ regionId: 5, confVer: 9 }]);
  assert.deepEqual(s.removed, ["5: placement: removed at conf version 9"]);
  const member = setup(descriptor(9, [1, 2, 3]));
  member.runner.receive([], [{ regionId: 5, confVer: 9 }]);
  assert.deepEqual(member.removed, [], "listed at that version: re-added since");
  member.runner.receive([], [{ regionId: 5, confVer: 10 }]);
  assert.deepEqual(member.removed, ["5: placement: removed at conf version 10"], "removed unseen");
});

test("left out: a tombstone's conf version bounds the log a replica looks for its re-addition in", () => {
  // Removed while it restarted (regions seed 274): its log holds, unapplied past 40, the leader's
  // demotion of it to learner at index 42, which adds it (as a learner); the removal came later.
  const demotedAt = 42;
  const s = setup(descriptor(9, [1, 2, 3]), (index) => index < demotedAt);
  s.runner.receive([], [{ regionId: 5, confVer: 41 }]);
  assert.deepEqual(s.removed, [], "a conf change past the tombstone's could list it again");
  s.runner.receive([], [{ regionId: 5, confVer: 45 }]);
  assert.deepEqual(s.removed, ["5: placement: removed at conf version 45"]);
  const quiet = setup(descriptor(9, [2, 3]), (index) => index < demotedAt);
  quiet.at(0);
  quiet.at(QUIET_MS * 3);
  assert.deepEqual(quiet.removed, [], "without a tombstone its whole unapplied log counts");
});

test("members: a conf change applied here asks for a heartbeat; nothing else does", () => {
  const s = setup(descriptor(9, [1, 2, 3]));
  s.at(0);
  s.at(5_000);
  assert.equal(s.reports(), 0, "a member, no change");
  s.region.kv.descriptor = descriptor(10, [1, 2, 3, 4]);
  s.at(5_100);
  assert.equal(s.reports(), 1, "voters report what they applied (placement's tombstones wait)");
  s.at(30_000);
  assert.deepEqual(s.removed, []);
});

test("left out: what serves nothing here (region 1, and a replica without voters, never are)", () => {
  assert.equal(isLeftOut({ ...descriptor(9, [2, 3]), id: 5 }, SELF), true);
  assert.equal(isLeftOut({ ...descriptor(9, [1, 2, 3]), id: 5 }, SELF), false);
  const learner = { ...descriptor(9, [2, 3]) };
  learner.replicas = [...learner.replicas, { nodeId: SELF, role: "learner" }];
  assert.equal(isLeftOut({ ...learner, id: 5 }, SELF), false, "a learner is in its configuration");
  assert.equal(isLeftOut({ ...descriptor(9, []), id: 5 }, SELF), false, "no voters known yet");
  assert.equal(isLeftOut({ ...descriptor(9, [2, 3]), id: 1 }, SELF), false, "region 1");
});
