/**
 * The choices membership changes make (voter_choice.ts): the voter a leader hands off to before
 * its own removal, and, with region 1's voters capped, the learner that takes a removed voter's
 * vote in the same joint change.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_CONF_STATE } from "../../../src/raft/core/messages.ts";
import {
  heirOf,
  type LeaderView,
  mostCaughtUpAnswering,
} from "../../../src/server/membership/voter_choice.ts";

function leader(
  voters: number[],
  learners: number[],
  match: Record<number, number>,
  silent: number[] = [],
): LeaderView {
  const progress = new Map(
    Object.entries(match).map(([id, m]) => [
      Number(id),
      { match: m, heardRecently: !silent.includes(Number(id)) },
    ]),
  );
  return { confState: { ...EMPTY_CONF_STATE, voters, learners }, commit: 10, progress };
}

test("voter choice: the heir is the lowest caught-up learner, only under the cap", () => {
  const v = leader([1, 2, 3], [4, 5, 6], { 1: 10, 2: 10, 3: 10, 4: 9, 5: 10, 6: 10 });
  assert.equal(heirOf(v, 3, 3), 5, "node 4 is behind the commit index");
  assert.equal(heirOf(v, 3, undefined), undefined, "no cap: every member votes");
  assert.equal(heirOf(v, 3, 2), undefined, "two voters left meet a cap of two");
  assert.equal(heirOf(v, 7, 3), undefined, "not a voter: three remain");
  assert.equal(heirOf(leader([1, 2, 3], [4], { 4: 3 }), 2, 3), undefined, "none caught up");
});

test("voter choice: hand-off goes to the most caught-up voter heard from", () => {
  const v = leader([1, 2, 3], [], { 1: 10, 2: 8, 3: 9 }, [3]);
  assert.equal(mostCaughtUpAnswering(v, [2, 3]), 2, "node 3 is silent");
  assert.equal(mostCaughtUpAnswering(v, [3]), undefined);
  // The driver's view: node 2's node stopped beating though its progress still says heard.
  const beats = (id: number, h: boolean) => h && id !== 2;
  assert.equal(mostCaughtUpAnswering(leader([1, 2, 3], [], { 2: 10, 3: 9 }), [2, 3], beats), 3);
});
