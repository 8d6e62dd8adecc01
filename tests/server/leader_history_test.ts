import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { LeaderHistory } from "../../src/server/node/leader_history.ts";
import { LEADER_HISTORY_MAX } from "../../src/limits.ts";

test("LeaderHistory records each new (leader, term) once, losses once, and keeps the last N", () => {
  const clock = new SimClock(1000);
  const h = new LeaderHistory(clock, 3);
  h.observe(0, 1); // no leader at start: nothing to record
  h.observe(2, 2);
  h.observe(2, 2); // repeat (e.g. a role change without a leader change)
  clock.advance(500);
  h.observe(0, 3); // leader lost
  h.observe(0, 3);
  h.observe(3, 3);
  assert.deepEqual(h.changes(), [
    { atMs: 1000, term: 2, leader: 2 },
    { atMs: 1500, term: 3, leader: null },
    { atMs: 1500, term: 3, leader: 3 },
  ]);
  h.observe(3, 5); // same leader re-elected in a later term is a change
  assert.equal(h.changes().length, 3, "bounded");
  assert.deepEqual(h.changes()[0], { atMs: 1500, term: 3, leader: null });
  assert.deepEqual(h.changes()[2], { atMs: 1500, term: 5, leader: 3 });
  assert.equal(h.leadersSeen, 3, "changes to a known leader, forgotten ones included");
});

test("LeaderHistory keeps LEADER_HISTORY_MAX changes by default, dropping the oldest", () => {
  const h = new LeaderHistory(new SimClock());
  for (let term = 1; term <= LEADER_HISTORY_MAX + 5; term++) h.observe(1 + (term % 3), term);
  const changes = h.changes();
  assert.equal(changes.length, LEADER_HISTORY_MAX);
  assert.equal(changes[0].term, 6);
  assert.equal(h.leadersSeen, LEADER_HISTORY_MAX + 5);
});
