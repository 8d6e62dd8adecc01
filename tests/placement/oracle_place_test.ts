/**
 * The oracle's place (src/placement/oracle_place.ts): region 0's leadership follows region 1's
 * leader once that leader has held for a pass, only to a caught-up, heard-from, usable voter of
 * region 0, at most once per backoff, and never flaps (region 1 never follows region 0).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  followRegion1,
  ORACLE_FOLLOW_START,
  type OracleCandidate,
  type OracleFollowInput,
  type OracleFollowState,
} from "../../src/placement/oracle_place.ts";
import { PLACEMENT_ORACLE_FOLLOW_BACKOFF_PASSES } from "../../src/limits_ops.ts";

const BACKOFF = 3;

function voters(commit: number, ...ids: number[]): OracleCandidate[] {
  return ids.map((id) => ({ id, voter: true, heardRecently: true, match: commit }));
}

function input(self: number, leader: number, term = 5, o: Partial<OracleFollowInput> = {}) {
  return {
    self,
    region1: { leader, term },
    candidates: voters(40, 1, 2, 3),
    commit: 40,
    usable: () => true,
    ...o,
  };
}

/** Runs passes from `state`, returning each pass's target. */
function passes(state: OracleFollowState, inputs: OracleFollowInput[]): number[] {
  const out: number[] = [];
  for (const x of inputs) {
    const d = followRegion1(state, x, BACKOFF);
    state = d.state;
    out.push(d.to);
  }
  return out;
}

test("oracle place: follows region 1's leader once it has held for a pass", () => {
  const first = followRegion1(ORACLE_FOLLOW_START, input(1, 2), BACKOFF);
  assert.equal(first.to, 0, "a leader seen once may be mid-election");
  assert.match(first.why, /new/);
  const second = followRegion1(first.state, input(1, 2), BACKOFF);
  assert.equal(second.to, 2);
  assert.equal(second.why, "");
});

test("oracle place: nothing moves when region 1 is led here or by no one", () => {
  assert.deepEqual(passes(ORACLE_FOLLOW_START, Array(5).fill(input(1, 1))), [0, 0, 0, 0, 0]);
  assert.deepEqual(passes(ORACLE_FOLLOW_START, Array(5).fill(input(1, 0))), [0, 0, 0, 0, 0]);
});

test("oracle place: a new term of region 1 waits a pass again, even with the same leader", () => {
  assert.deepEqual(passes(ORACLE_FOLLOW_START, [input(1, 2, 5), input(1, 2, 6), input(1, 2, 6)]), [
    0,
    0,
    2,
  ]);
  assert.deepEqual(passes(ORACLE_FOLLOW_START, [input(1, 2), input(1, 3), input(1, 3)]), [0, 0, 3]);
});

test("oracle place: only to a voter of region 0, heard from, caught up and usable", () => {
  const held = followRegion1(ORACLE_FOLLOW_START, input(1, 4), BACKOFF).state;
  // Node 4 leads region 1 but holds no voter of region 0 (a fourth node of the cluster).
  const no = followRegion1(held, input(1, 4), BACKOFF);
  assert.equal(no.to, 0);
  assert.match(no.why, /no voter/);
  const learner = [...voters(40, 1, 2), { id: 4, voter: false, heardRecently: true, match: 40 }];
  assert.equal(followRegion1(held, input(1, 4, 5, { candidates: learner }), BACKOFF).to, 0);
  const held2 = followRegion1(ORACLE_FOLLOW_START, input(1, 2), BACKOFF).state;
  const unheard = voters(40, 1, 3).concat([{
    id: 2,
    voter: true,
    heardRecently: false,
    match: 40,
  }]);
  const lagging = voters(40, 1, 3).concat([{ id: 2, voter: true, heardRecently: true, match: 39 }]);
  for (
    const [o, why] of [
      [{ candidates: unheard }, /not heard/],
      [{ candidates: lagging }, /lags/],
      [{ usable: (id: number) => id !== 2 }, /down or draining/],
    ] as const
  ) {
    const d = followRegion1(held2, input(1, 2, 5, o), BACKOFF);
    assert.equal(d.to, 0);
    assert.match(d.why, why);
  }
});

test("oracle place: an attempt that did not take is retried only after the backoff", () => {
  // This node still leads region 0 after each attempt (the transfer did not take).
  const got = passes(ORACLE_FOLLOW_START, Array(12).fill(input(1, 2)));
  assert.deepEqual(got, [0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0]); // BACKOFF passes skipped
  assert.ok(PLACEMENT_ORACLE_FOLLOW_BACKOFF_PASSES >= 1);
});

/**
 * A model of the pair: region 1's leader follows a script (elections), region 0's leader runs the
 * rule each pass and a transfer takes at once (a new leader starts from nothing).
 */
function model(region1: readonly number[], start: number): { moves: number; oracle: number[] } {
  let oracle = start;
  let state = ORACLE_FOLLOW_START;
  let term = 1;
  let moves = 0;
  const out: number[] = [];
  region1.forEach((lead, i) => {
    if (i > 0 && region1[i - 1] !== lead) term++;
    const d = followRegion1(state, input(oracle, lead, term), BACKOFF);
    state = d.state;
    if (d.to !== 0) {
      oracle = d.to;
      state = ORACLE_FOLLOW_START;
      moves++;
    }
    out.push(oracle);
  });
  return { moves, oracle: out };
}

test("oracle place: no flapping — one move per change of region 1's leader, none while it churns", () => {
  const steady = model(Array(100).fill(3), 1);
  assert.equal(steady.moves, 1);
  assert.equal(steady.oracle.at(-1), 3);
  // Region 1's leader changes every pass (elections): never stable for a pass, nothing moves.
  const churn = model(Array.from({ length: 100 }, (_, i) => 1 + (i % 3)), 1);
  assert.equal(churn.moves, 0);
  // Three changes of region 1's leader, each held for a while: three moves, each to it.
  const script = [...Array(10).fill(2), ...Array(10).fill(3), ...Array(10).fill(1)];
  const three = model([...script, ...Array(20).fill(2)], 1);
  assert.equal(three.moves, 4);
  assert.deepEqual([three.oracle[9], three.oracle[19], three.oracle[29], three.oracle[49]], [
    2,
    3,
    1,
    2,
  ]);
});
