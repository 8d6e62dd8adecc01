import { test } from "node:test";
import assert from "node:assert/strict";
import {
  majorityCommitted,
  majorityVoteResult,
  VoteResult,
} from "../../../src/raft/core/quorum/majority.ts";
import { jointCommitted, jointVoteResult } from "../../../src/raft/core/quorum/joint.ts";

const acked = (m: Record<number, number>) => (id: number): number | undefined => m[id];

test("majority: committed index is the median acknowledged index", () => {
  assert.equal(majorityCommitted(new Set([1, 2, 3]), acked({ 1: 5, 2: 3, 3: 9 })), 5);
  assert.equal(majorityCommitted(new Set([1, 2, 3, 4]), acked({ 1: 5, 2: 3, 3: 9, 4: 7 })), 5);
  assert.equal(majorityCommitted(new Set([1, 2, 3]), acked({ 1: 5 })), 0);
  assert.equal(majorityCommitted(new Set([1]), acked({ 1: 4 })), 4);
});

test("majority: an empty config places no constraint", () => {
  assert.equal(majorityCommitted(new Set(), acked({})), Number.MAX_SAFE_INTEGER);
  assert.equal(majorityVoteResult(new Set(), new Map()), VoteResult.Won);
});

test("majority: vote results", () => {
  const v = new Set([1, 2, 3]);
  assert.equal(majorityVoteResult(v, new Map([[1, true]])), VoteResult.Pending);
  assert.equal(majorityVoteResult(v, new Map([[1, true], [2, true]])), VoteResult.Won);
  assert.equal(majorityVoteResult(v, new Map([[1, false], [2, false]])), VoteResult.Lost);
  assert.equal(majorityVoteResult(v, new Map([[1, true], [2, false]])), VoteResult.Pending);
  // Votes from non-members do not count.
  assert.equal(
    majorityVoteResult(v, new Map([[7, true], [8, true], [1, true]])),
    VoteResult.Pending,
  );
});

test("joint: both halves must agree (thesis §4.3)", () => {
  const c = [new Set([1, 2, 3]), new Set([3, 4, 5])] as const;
  assert.equal(jointCommitted(c, acked({ 1: 9, 2: 9, 3: 4, 4: 2, 5: 1 })), 2);
  assert.equal(jointVoteResult(c, new Map([[1, true], [2, true]])), VoteResult.Pending);
  assert.equal(
    jointVoteResult(c, new Map([[1, true], [2, true], [4, true], [5, true]])),
    VoteResult.Won,
  );
  assert.equal(
    jointVoteResult(c, new Map([[4, false], [5, false], [1, true], [2, true]])),
    VoteResult.Lost,
  );
  // Outside a joint config the outgoing half is empty and changes nothing.
  const simple = [new Set([1, 2, 3]), new Set<number>()] as const;
  assert.equal(jointCommitted(simple, acked({ 1: 3, 2: 3, 3: 1 })), 3);
});
