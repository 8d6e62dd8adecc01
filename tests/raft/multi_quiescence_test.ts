/** Quiescence bookkeeping of the multi-region driver (src/raft/multi/quiescence.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Quiescence } from "../../src/raft/multi/quiescence.ts";

test("quiescence: beats list quiet leaders on change and every 10th beat", () => {
  const q = new Quiescence(10);
  for (const r of [1, 2, 3]) q.add(r);
  q.quietLeader({ region: 1, term: 2, commit: 5, peers: [2, 3] });
  q.quietLeader({ region: 2, term: 2, commit: 7, peers: [2] });
  const first = q.beatListsDue();
  assert.deepEqual(first.get(2)?.map((x) => x.region), [1, 2]);
  assert.deepEqual(first.get(3), [{ region: 1, term: 2, commit: 5 }]);
  let listed = 0;
  for (let i = 0; i < 10; i++) if (q.beatListsDue().size > 0) listed++;
  assert.equal(listed, 1, "unchanged: listed again once in 10 beats");
  assert.equal(q.beatListsDue().size, 0);
  assert.ok(q.wake(2));
  assert.deepEqual(q.beatListsDue().get(2)?.map((x) => x.region), [1], "changed: listed at once");
  assert.deepEqual([...q.awake].sort(), [2, 3]);
});

test("quiescence: followers wake when their leader node stops beating or restarts", () => {
  const q = new Quiescence(3);
  for (const r of [1, 2, 3, 4]) q.add(r);
  assert.deepEqual(q.beat(7, 100), []);
  q.quietFollower(1, 7);
  q.quietFollower(2, 7);
  q.quietLeader({ region: 3, term: 1, commit: 1, peers: [7] });
  assert.equal(q.quietCount, 3);
  assert.deepEqual(q.tick(), []);
  assert.deepEqual(q.beat(7, 100), [], "same incarnation: nothing wakes");
  assert.deepEqual(q.tick(), []);
  assert.deepEqual(q.tick(), []);
  assert.deepEqual(q.tick().sort(), [1, 2], "three ticks without a beat");
  const restarted = q.beat(7, 101);
  assert.deepEqual(restarted.sort(), [1, 2, 3], "a new incarnation wakes what is shared");
  for (const r of restarted) q.wake(r);
  assert.equal(q.quietCount, 0);
  assert.deepEqual(q.tick(), []);
});
