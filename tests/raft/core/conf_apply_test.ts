import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../../src/raft/core/messages.ts";
import { newRaft } from "../helpers.ts";

test("conf apply: a voter being demoted keeps voting until the joint config is left", () => {
  // Node 3 is in learners_next: still an outgoing voter of the joint config.
  const r = newRaft(3, [1, 2, 3]);
  r.step({
    type: MessageType.Snap,
    from: 1,
    to: 3,
    term: 2,
    snapshot: {
      metadata: {
        index: 10,
        term: 2,
        confState: {
          voters: [1, 2],
          votersOutgoing: [1, 2, 3],
          learners: [],
          learnersNext: [3],
          autoLeave: false,
        },
      },
      data: new Uint8Array(0),
    },
  });
  assert.equal(r.log.committed, 10);
  assert.equal(r.isLearner, false);
  assert.equal(r.trk.progress.get(3)?.isLearner, false);
  assert.ok(r.promotable());
  // Leaving the joint config makes it a learner.
  r.applyConfChange({ transition: 0, changes: [] });
  assert.equal(r.isLearner, true);
  assert.equal(r.promotable(), false);
});
