/**
 * Operator steps as a region's leader runs them (src/placement/operator_step.ts): one simple
 * membership change at a time, each order checked against the region's epoch, so a stale or
 * repeated order is dropped and never applied twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type ChangeType,
  nextAction,
  type RegionNow,
  type StepOrder,
} from "../../src/placement/operator_step.ts";
import type { Step } from "../../src/placement/operator.ts";
import type { RegionDescriptor, Replica } from "../../src/region/descriptor.ts";

const EMPTY = new Uint8Array(0);

function region(voters: number[], learners: number[] = [], confVer = 5): RegionDescriptor {
  const replicas: Replica[] = [
    ...voters.map((nodeId) => ({ nodeId, role: "voter" as const })),
    ...learners.map((nodeId) => ({ nodeId, role: "learner" as const })),
  ];
  return { id: 7, start: EMPTY, end: EMPTY, epoch: { version: 2, confVer }, replicas };
}

function now(d: RegionDescriptor, o: Partial<RegionNow> = {}): RegionNow {
  return { descriptor: d, self: 1, isLeader: true, busy: false, caughtUp: () => true, ...o };
}

function order(d: RegionDescriptor, step: Step): StepOrder {
  return { regionId: d.id, epoch: d.epoch, step };
}

/** Applies a simple change as the region's Raft group would: confVer moves to a new index. */
function apply(d: RegionDescriptor, type: ChangeType, nodeId: number): RegionDescriptor {
  const others = d.replicas.filter((p) => p.nodeId !== nodeId);
  const replicas = type === "remove" ? others : [...others, { nodeId, role: type }];
  return { ...d, replicas, epoch: { ...d.epoch, confVer: d.epoch.confVer + 3 } };
}

test("operator step: a move runs as simple changes, each order once", () => {
  let d = region([1, 2, 3]);
  const steps: Step[] = [
    { kind: "add-learner", node: 4 },
    { kind: "promote", promote: 4, demote: 3 },
    { kind: "remove", node: 3 },
  ];
  const changes: string[] = [];
  // The placement leader's loop: send the first step not done, with the region's epoch.
  for (let round = 0; round < 10; round++) {
    const step = steps.find((s) => nextAction(order(d, s), now(d)).kind !== "done");
    if (step === undefined) break;
    const o = order(d, step);
    const a = nextAction(o, now(d));
    assert.equal(a.kind, "change", JSON.stringify(a));
    if (a.kind !== "change") return;
    d = apply(d, a.type, a.nodeId);
    changes.push(`${a.type} ${a.nodeId}`);
    // The same order again (a heartbeat's answer delivered twice, or resent): stale, dropped.
    const again = nextAction(o, now(d));
    assert.equal(again.kind, "drop");
    assert.match(again.kind === "drop" ? again.reason : "", /stale/);
  }
  assert.deepEqual(changes, ["learner 4", "voter 4", "learner 3", "remove 3"]);
  assert.deepEqual(d.replicas.map((p) => `${p.nodeId}${p.role[0]}`).sort(), ["1v", "2v", "4v"]);
});

test("operator step: idempotent steps are done when the region already is so", () => {
  const d = region([1, 2, 3], [4]);
  assert.deepEqual(nextAction(order(d, { kind: "add-learner", node: 4 }), now(d)), {
    kind: "done",
  });
  assert.deepEqual(nextAction(order(d, { kind: "remove", node: 9 }), now(d)), { kind: "done" });
  const voters = region([1, 2, 4], [3]);
  const promote = { kind: "promote" as const, promote: 4, demote: 3 };
  assert.deepEqual(nextAction(order(voters, promote), now(voters)), { kind: "done" });
  const lead = { kind: "transfer-leader" as const, to: 1 };
  assert.deepEqual(nextAction(order(d, lead), now(d)), { kind: "done" });
});

test("operator step: stale, foreign or unsafe orders are dropped; busy regions wait", () => {
  const d = region([1, 2, 3]);
  const add = { kind: "add-learner" as const, node: 4 };
  const older = { ...order(d, add), epoch: { version: 2, confVer: 4 } };
  assert.equal(nextAction(older, now(d)).kind, "drop", "an older conf version");
  const split = { ...order(d, add), epoch: { version: 1, confVer: 5 } };
  assert.equal(nextAction(split, now(d)).kind, "drop", "the range changed");
  assert.equal(nextAction(order(d, add), now(d, { isLeader: false })).kind, "drop");
  assert.equal(nextAction({ ...order(d, add), regionId: 8 }, now(d)).kind, "drop");
  assert.equal(nextAction(order(d, add), now(d, { busy: true })).kind, "wait");
  // Never the last voter.
  const one = region([2]);
  assert.equal(nextAction(order(one, { kind: "remove", node: 2 }), now(one)).kind, "drop");
  const demote = { kind: "promote" as const, promote: 0, demote: 2 };
  assert.equal(nextAction(order(one, demote), now(one)).kind, "drop");
  // Promoting a node that is no member is a broken order.
  const ghost = { kind: "promote" as const, promote: 9, demote: 0 };
  assert.equal(nextAction(order(d, ghost), now(d)).kind, "drop");
});

test("operator step: a learner is promoted only once caught up", () => {
  const d = region([1, 2, 3], [4]);
  const promote = order(d, { kind: "promote", promote: 4, demote: 3 });
  const lagging = now(d, { caughtUp: (id) => id !== 4 });
  assert.equal(nextAction(promote, lagging).kind, "wait");
  assert.deepEqual(nextAction(promote, now(d)), {
    kind: "change",
    type: "voter",
    nodeId: 4,
  });
});

test("operator step: a leader leaving hands leadership to a caught-up voter first", () => {
  const d = region([1, 2, 3, 4]);
  const leave = order(d, { kind: "promote", promote: 0, demote: 1 });
  assert.deepEqual(nextAction(leave, now(d, { caughtUp: (id) => id === 3 })), {
    kind: "transfer",
    to: 3,
  });
  assert.equal(nextAction(leave, now(d, { caughtUp: (id) => id === 1 })).kind, "wait");
  const remove = order(region([1, 2], [5]), { kind: "remove", node: 1 });
  const r = nextAction(remove, now(region([1, 2], [5])));
  assert.deepEqual(r, { kind: "transfer", to: 2 }, "never to a learner");
});

test("operator step: an order from a report in another term is dropped; no term is unchecked", () => {
  const d = region([1, 2, 3]);
  const lead = { kind: "transfer-leader" as const, to: 2 };
  const inTerm5 = { ...order(d, lead), term: 5 };
  assert.deepEqual(nextAction(inTerm5, now(d, { term: 5 })), { kind: "transfer", to: 2 });
  const later = nextAction(inTerm5, now(d, { term: 7 }));
  assert.equal(later.kind, "drop", "the leader lost and regained leadership since the report");
  assert.match(later.kind === "drop" ? later.reason : "", /term 5.*term 7/);
  // An older placement leader's order names no term: the epoch check alone decides.
  assert.deepEqual(nextAction(order(d, lead), now(d, { term: 7 })), { kind: "transfer", to: 2 });
  assert.deepEqual(nextAction({ ...order(d, lead), term: 0 }, now(d, { term: 7 })), {
    kind: "transfer",
    to: 2,
  });
});
