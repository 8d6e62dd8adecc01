/**
 * Which membership change the placement group (region 0) needs next
 * (src/placement/placement_group_plan.ts): one case per rule, then a model run that applies each
 * planned change to the configuration and checks where it ends and what it passes through.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type GroupAction,
  type GroupConf,
  type GroupPlanInput,
  planGroup,
} from "../../src/placement/placement_group_plan.ts";

interface Case {
  self?: number;
  voters: number[];
  learners?: number[];
  joint?: boolean;
  members?: number[] | undefined;
  down?: number[];
  zones?: Record<number, string>;
  lagging?: number[];
  catchingUp?: number[];
}

function input(c: Case): GroupPlanInput {
  const conf: GroupConf = {
    voters: c.voters,
    learners: c.learners ?? [],
    joint: c.joint ?? false,
  };
  return {
    self: c.self ?? c.voters[0],
    conf,
    members: "members" in c ? c.members : [1, 2, 3],
    usable: (id) => !(c.down ?? []).includes(id),
    zone: (id) => c.zones?.[id] ?? "z",
    caughtUp: (id) => !(c.lagging ?? []).includes(id),
    catchingUp: (id) => (c.catchingUp ?? []).includes(id),
    voters: 3,
  };
}

function plan(c: Case): Omit<GroupAction, "reason"> | undefined {
  const a = planGroup(input(c));
  if (a === undefined) return undefined;
  const { reason: _reason, ...rest } = a;
  return rest;
}

test("placement group plan: nothing while whole, joint or the members unknown", () => {
  assert.equal(plan({ voters: [1, 2, 3] }), undefined);
  assert.equal(plan({ voters: [1, 2, 3], members: [2, 3, 4], joint: true }), undefined);
  assert.equal(plan({ voters: [1, 2, 3], members: undefined }), undefined);
  // A voter down for less than the replace timeout is usable: nothing to do.
  assert.equal(plan({ voters: [1, 2, 3], members: [1, 2, 3, 4] }), undefined);
});

test("placement group plan: a removed voter is replaced through a learner, then a joint change", () => {
  const members = [2, 3, 4];
  assert.deepEqual(plan({ self: 2, voters: [1, 2, 3], members }), {
    kind: "add-learner",
    node: 4,
  });
  // Caught up by the log but still catching up by its node's word: wait.
  assert.equal(
    plan({ self: 2, voters: [1, 2, 3], learners: [4], members, catchingUp: [4] }),
    undefined,
  );
  assert.equal(
    plan({ self: 2, voters: [1, 2, 3], learners: [4], members, lagging: [4] }),
    undefined,
  );
  assert.deepEqual(plan({ self: 2, voters: [1, 2, 3], learners: [4], members }), {
    kind: "promote",
    node: 4,
    remove: 1,
  });
});

test("placement group plan: the leader hands leadership away before its own removal", () => {
  const members = [2, 3, 4];
  // The learner is added by the leader that is to go; its promotion waits for a new leader.
  assert.deepEqual(plan({ self: 1, voters: [1, 2, 3], members }), { kind: "add-learner", node: 4 });
  const learners = [4];
  assert.deepEqual(plan({ self: 1, voters: [1, 2, 3], learners, members }), {
    kind: "transfer-leader",
    to: 2,
  });
  assert.deepEqual(plan({ self: 1, voters: [1, 2, 3], learners, members, lagging: [2] }), {
    kind: "transfer-leader",
    to: 3,
  });
  const stuck = { self: 1, voters: [1, 2, 3], learners, members, lagging: [2, 3] };
  assert.equal(plan(stuck), undefined);
  // Draining (not usable) counts as bad too; with nobody to take its place, it keeps leading.
  assert.equal(plan({ self: 1, voters: [1, 2, 3], members: [1, 2, 3], down: [1] }), undefined);
  // Another bad voter goes before the leader.
  assert.deepEqual(
    plan({ self: 1, voters: [1, 2, 3], learners, members: [1, 3, 4], down: [1] }),
    { kind: "promote", node: 4, remove: 2 },
  );
});

test("placement group plan: a smaller cluster has fewer voters, and grows back", () => {
  // Node 3 removed from a 3-node cluster: nobody to replace it, two voters are wanted.
  assert.deepEqual(plan({ voters: [1, 2, 3], members: [1, 2] }), { kind: "remove", node: 3 });
  assert.equal(plan({ voters: [1, 2], members: [1, 2] }), undefined);
  // A node joins: it is added and promoted alone.
  assert.deepEqual(plan({ voters: [1, 2], members: [1, 2, 5] }), { kind: "add-learner", node: 5 });
  assert.deepEqual(plan({ voters: [1, 2], learners: [5], members: [1, 2, 5] }), {
    kind: "promote",
    node: 5,
    remove: 0,
  });
  // One node: one voter.
  assert.equal(plan({ voters: [1], members: [1] }), undefined);
  // A down voter of three with no spare node stays: it may come back, and two voters would not
  // make the group more available. Nor does a member placement has not heard from (just joined).
  assert.equal(plan({ voters: [1, 2, 3], members: [1, 2, 3], down: [3] }), undefined);
  assert.equal(
    plan({ self: 3, voters: [1, 2, 3], members: [1, 3, 4, 5], down: [4, 5] }),
    undefined,
  );
  assert.deepEqual(plan({ self: 3, voters: [1, 2, 3], members: [1, 3, 4, 5], down: [5] }), {
    kind: "add-learner",
    node: 4,
  });
});

test("placement group plan: learners nothing needs leave; targets spread over zones", () => {
  assert.deepEqual(plan({ voters: [1, 2, 3], learners: [4], members: [1, 2, 3, 4] }), {
    kind: "remove",
    node: 4,
  });
  assert.deepEqual(plan({ voters: [1, 2, 3], learners: [4], members: [1, 2, 3] }), {
    kind: "remove",
    node: 4,
  });
  assert.deepEqual(
    plan({ voters: [1, 2, 3], learners: [4], members: [2, 3, 4], down: [4], self: 2 }),
    { kind: "remove", node: 4 },
  );
  const zones = { 1: "a", 2: "a", 3: "b", 4: "b", 5: "c" };
  assert.deepEqual(plan({ self: 2, voters: [1, 2, 3], members: [2, 3, 4, 5], zones }), {
    kind: "add-learner",
    node: 5,
  });
  // Down nodes go before removed members that still run.
  assert.deepEqual(
    plan({ self: 3, voters: [1, 2, 3], learners: [4], members: [1, 3, 4], down: [1] }),
    {
      kind: "promote",
      node: 4,
      remove: 1,
    },
  );
});

/** Applies a change to a configuration as Raft would once it commits (and leaves joint). */
function applied(conf: GroupConf, a: GroupAction): GroupConf {
  const voters = new Set(conf.voters), learners = new Set(conf.learners);
  if (a.kind === "add-learner") learners.add(a.node);
  if (a.kind === "remove") {
    voters.delete(a.node);
    learners.delete(a.node);
  }
  if (a.kind === "promote") {
    learners.delete(a.node);
    voters.add(a.node);
    voters.delete(a.remove);
  }
  const sorted = (s: Set<number>) => [...s].sort((x, y) => x - y);
  return { voters: sorted(voters), learners: sorted(learners), joint: false };
}

test("placement group plan: nodes 1 and 2 replaced one at a time, never below two voters", () => {
  let conf: GroupConf = { voters: [1, 2, 3], learners: [], joint: false };
  let self = 1;
  const steps: string[] = [];
  for (const members of [[2, 3, 4], [3, 4, 5]]) {
    for (let i = 0; i < 10; i++) {
      const a = planGroup({ ...input({ voters: [], members }), self, conf });
      if (a === undefined) break;
      steps.push(a.kind);
      if (a.kind === "transfer-leader") self = a.to;
      else conf = applied(conf, a);
      assert.ok(conf.voters.length >= 2, `voters ${conf.voters}`);
      assert.ok(conf.voters.includes(self), `leader ${self} stays a voter`);
    }
  }
  assert.deepEqual(conf, { voters: [3, 4, 5], learners: [], joint: false });
  assert.deepEqual(steps, [
    "add-learner",
    "transfer-leader",
    "promote",
    "add-learner",
    "transfer-leader",
    "promote",
  ]);
});

test("placement group plan: a learner is added on a voter of region 1 first, zones before that", () => {
  const base = { self: 1, voters: [1, 2, 3], down: [3], members: [1, 2, 3, 4, 5, 6] };
  const added = (c: Case, firstRegionVoters?: number[]) => {
    const a = planGroup({ ...input(c), firstRegionVoters });
    return a?.kind === "add-learner" ? a.node : undefined;
  };
  assert.equal(added(base), 4, "no preference: the lowest id");
  assert.equal(added(base, [1, 2, 6]), 6, "region 1's voter");
  // An uncovered zone still comes first: node 5 alone in zone b.
  const zones = { 1: "a", 2: "a", 3: "a", 4: "a", 5: "b", 6: "a" };
  assert.equal(added({ ...base, zones }, [1, 2, 6]), 5, "the zone first");
});
