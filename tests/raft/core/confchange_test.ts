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

test("confchange: contexts round-trip in version 2; any truncation is rejected", () => {
  const address = new TextEncoder().encode("10.0.0.4:7001");
  const cc = {
    transition: ConfChangeTransition.JointImplicit,
    changes: [
      { type: ConfChangeType.AddLearner, nodeId: 4, context: address },
      { type: ConfChangeType.RemoveNode, nodeId: 2, context: new Uint8Array(0) },
    ],
  };
  const bytes = encodeConfChange(cc);
  assert.equal(bytes[0], 2);
  assert.deepEqual(decodeConfChange(bytes), cc);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.equal(decodeConfChange(bytes.subarray(0, cut)), undefined, `cut at ${cut}`);
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.equal(decodeConfChange(longer), undefined);
  // Without contexts the version-1 bytes are unchanged (entries already on disk stay valid).
  const plain = encodeConfChange({ transition: 0, changes: [{ type: 0, nodeId: 3 }] });
  assert.deepEqual([...plain], [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
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
