import { test } from "node:test";
import assert from "node:assert/strict";
import { answerApplied, PassAnswers } from "../../src/server/node/pass_answers.ts";
import type { Entry } from "../../src/raft/core/messages.ts";
import { EntryType } from "../../src/raft/core/messages.ts";

test("pass answers: given at once outside a pass, at the pass's end inside one, in order", () => {
  const a = new PassAnswers();
  const given: string[] = [];
  a.give(() => given.push("outside"));
  assert.deepEqual(given, ["outside"]);
  a.begin();
  a.give(() => given.push("r1"));
  a.begin(); // nested: the outer end gives them
  a.give(() => given.push("r2"));
  a.end();
  assert.deepEqual(given, ["outside"]);
  a.end();
  assert.deepEqual(given, ["outside", "r1", "r2"]);
  assert.deepEqual(a.counts, { passes: 1, answers: 2 });
  a.give(() => given.push("after"));
  assert.deepEqual(given, ["outside", "r1", "r2", "after"]);
});

test("pass answers: an answer that throws does not keep the others back", () => {
  const a = new PassAnswers();
  const given: number[] = [];
  a.begin();
  a.give(() => given.push(1));
  a.give(() => {
    throw new Error("boom");
  });
  a.give(() => given.push(3));
  assert.throws(() => a.end(), /boom/);
  assert.deepEqual(given, [1, 3]);
  a.give(() => given.push(4)); // the pass is closed
  assert.deepEqual(given, [1, 3, 4]);
});

test("pass answers: a region's proposals up to its applied index, then its reads", () => {
  const a = new PassAnswers();
  const said: string[] = [];
  const r = {
    proposals: { applied: (index: number, term: number) => said.push(`w${index}.${term}`) },
    reads: { applied: () => said.push("reads") },
  };
  const entry = (index: number): Entry => ({
    index,
    term: 2,
    type: EntryType.Normal,
    data: new Uint8Array(0),
  });
  a.begin();
  answerApplied(a, r, [entry(5), entry(6), entry(7)], new Map(), 6); // 7 is held back
  assert.deepEqual(said, []);
  a.end();
  assert.deepEqual(said, ["w5.2", "w6.2", "reads"]);
});
