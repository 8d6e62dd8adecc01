import { test } from "node:test";
import assert from "node:assert/strict";
import { changeConfig, configFromConfState } from "../../../src/raft/core/confchange/changer.ts";
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChange,
  encodeConfChange,
} from "../../../src/raft/core/confchange/conf_change.ts";
import { configToConfState, type TrackerConfig } from "../../../src/raft/core/tracker/tracker.ts";

const cfg = (voters: number[], learners: number[] = []): TrackerConfig =>
  configFromConfState({ voters, votersOutgoing: [], learners, learnersNext: [], autoLeave: false });
const { AddNode, AddLearner, RemoveNode } = ConfChangeType;
const auto = (...changes: ConfChange["changes"]): ConfChange => ({
  transition: ConfChangeTransition.Auto,
  changes,
});

test("confchange: the encoding round-trips and rejects garbage", () => {
  const cc: ConfChange = {
    transition: ConfChangeTransition.JointExplicit,
    changes: [{ type: AddNode, nodeId: 2 ** 40 + 7 }, { type: RemoveNode, nodeId: 3 }],
  };
  assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc);
  assert.equal(decodeConfChange(new Uint8Array([1, 0, 5, 0, 0, 0])), undefined);
  assert.equal(decodeConfChange(new Uint8Array([9, 0, 0, 0, 0, 0])), undefined);
  assert.equal(decodeConfChange(new Uint8Array(2)), undefined);
});

test("confchange: a simple change touches at most one voter", () => {
  const r = changeConfig(cfg([1, 2, 3]), auto({ type: AddNode, nodeId: 4 }));
  assert.ok(r.ok);
  assert.deepEqual(configToConfState(r.config).voters, [1, 2, 3, 4]);
  assert.deepEqual(configToConfState(r.config).votersOutgoing, []);
});

test("confchange: two voter changes enter a joint config with auto-leave", () => {
  const r = changeConfig(
    cfg([1, 2, 3]),
    auto({ type: AddNode, nodeId: 4 }, { type: RemoveNode, nodeId: 1 }),
  );
  assert.ok(r.ok);
  const cs = configToConfState(r.config);
  assert.deepEqual(cs.voters, [2, 3, 4]);
  assert.deepEqual(cs.votersOutgoing, [1, 2, 3]);
  assert.equal(cs.autoLeave, true);
  const left = changeConfig(r.config, auto());
  assert.ok(left.ok);
  assert.deepEqual(configToConfState(left.config).votersOutgoing, []);
});

test("confchange: demoting a voter while joint goes through learners_next", () => {
  const joint = changeConfig(cfg([1, 2, 3]), {
    transition: ConfChangeTransition.JointExplicit,
    changes: [{ type: AddLearner, nodeId: 3 }],
  });
  assert.ok(joint.ok);
  assert.deepEqual(configToConfState(joint.config).learnersNext, [3]);
  const left = changeConfig(joint.config, auto());
  assert.ok(left.ok);
  assert.deepEqual(configToConfState(left.config).learners, [3]);
  assert.deepEqual(configToConfState(left.config).voters, [1, 2]);
});

test("confchange: invalid changes are refused and leave the input untouched", () => {
  const c = cfg([1]);
  const before = JSON.stringify(configToConfState(c));
  assert.equal(changeConfig(c, auto({ type: RemoveNode, nodeId: 1 })).ok, false); // no voters left
  assert.equal(changeConfig(c, auto()).ok, false); // leave while not joint
  const joint = changeConfig(cfg([1, 2, 3]), {
    transition: ConfChangeTransition.JointImplicit,
    changes: [{ type: AddNode, nodeId: 4 }],
  });
  assert.ok(joint.ok);
  assert.equal(changeConfig(joint.config, auto({ type: AddNode, nodeId: 5 })).ok, false);
  assert.equal(JSON.stringify(configToConfState(c)), before);
});
