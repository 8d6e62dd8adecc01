/**
 * The configuration a committed log leads to (src/raft/committed_config.ts): a node added by
 * committed conf changes not yet applied is a member; one they remove is not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  encodeConfChange,
} from "../../src/raft/core/confchange/conf_change.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { memberAfterEntries } from "../../src/raft/committed_config.ts";

const CS = { voters: [1, 2], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };

let index = 10;
function cc(
  changes: ConfChange["changes"],
  transition: ConfChangeTransition = ConfChangeTransition.Auto,
): Entry {
  const data = encodeConfChange({ transition, changes });
  return { term: 2, index: index++, type: EntryType.ConfChange, data };
}
const normal = (): Entry => ({
  term: 2,
  index: index++,
  type: EntryType.Normal,
  data: new Uint8Array(3),
});
const add = (nodeId: number, type: ConfChangeType = ConfChangeType.AddNode) => ({ type, nodeId });

test("committed config: a node added (as learner, then voter) by entries not applied yet is a member", () => {
  assert.equal(memberAfterEntries(CS, [], 3), false);
  assert.equal(
    memberAfterEntries(CS, [normal(), cc([add(3, ConfChangeType.AddLearner)])], 3),
    true,
  );
  const promoted = [cc([add(3, ConfChangeType.AddLearner)]), normal(), cc([add(3)])];
  assert.equal(memberAfterEntries(CS, promoted, 3), true);
  assert.equal(memberAfterEntries(CS, promoted, 4), false);
});

test("committed config: joint changes count both halves; a removal after the add wins", () => {
  const joint = cc([add(3), add(4)], ConfChangeTransition.JointExplicit);
  assert.equal(memberAfterEntries(CS, [joint], 4), true);
  const removed = [cc([add(3)]), normal(), cc([{ type: ConfChangeType.RemoveNode, nodeId: 3 }])];
  assert.equal(memberAfterEntries(CS, removed, 3), false);
  assert.equal(memberAfterEntries(CS, removed, 1), true);
  // Data that does not decode as a change is skipped.
  const junk: Entry = {
    term: 2,
    index: index++,
    type: EntryType.ConfChange,
    data: new Uint8Array([9, 9]),
  };
  assert.equal(memberAfterEntries(CS, [junk], 3), false);
});
