import { test } from "node:test";
import assert from "node:assert/strict";
import { Inflights } from "../../../src/raft/core/tracker/inflights.ts";
import { Progress, ProgressState } from "../../../src/raft/core/tracker/progress.ts";

test("inflights: bounded window, freed in order", () => {
  const f = new Inflights(3, 0);
  f.add(5, 10);
  f.add(7, 10);
  f.add(9, 10);
  assert.ok(f.full());
  f.freeLE(7);
  assert.equal(f.count, 1);
  assert.equal(f.bytes, 10);
  f.add(11, 10);
  f.add(12, 10);
  assert.ok(f.full());
  f.freeFirstOne();
  assert.equal(f.count, 2);
  f.freeLE(100);
  assert.equal(f.count, 0);
});

test("inflights: a byte budget also fills the window", () => {
  const f = new Inflights(100, 25);
  f.add(1, 10);
  f.add(2, 10);
  assert.ok(!f.full());
  f.add(3, 10);
  assert.ok(f.full());
});

test("progress: probe sends one append, then waits", () => {
  const p = new Progress(5, 4, false);
  assert.ok(!p.isPaused());
  p.sentEntries(2, 6, 100);
  assert.ok(p.isPaused());
  assert.equal(p.next, 5); // probing does not advance next optimistically
  assert.ok(p.maybeUpdate(6));
  assert.ok(!p.isPaused());
});

test("progress: replicate pipelines up to the inflight limit", () => {
  const p = new Progress(5, 2, false);
  p.maybeUpdate(4);
  p.becomeReplicate();
  p.sentEntries(1, 5, 10);
  p.sentEntries(1, 6, 10);
  assert.equal(p.next, 7);
  assert.ok(p.isPaused());
  p.inflights.freeLE(5);
  assert.ok(!p.isPaused());
});

test("progress: rejections — stale ones are ignored, fresh ones back off to the hint", () => {
  const p = new Progress(11, 4, false);
  p.match = 3;
  assert.ok(!p.maybeDecrTo(8, 5), "not the probe we sent");
  assert.ok(p.maybeDecrTo(10, 5));
  assert.equal(p.next, 6);
  p.becomeReplicate();
  assert.ok(!p.maybeDecrTo(2, 0), "at or below match: stale");
});

test("progress: a snapshot resumes replication after it", () => {
  const p = new Progress(5, 4, false);
  p.becomeSnapshot(20);
  assert.equal(p.state, ProgressState.Snapshot);
  assert.ok(p.isPaused());
  p.becomeProbe();
  assert.equal(p.next, 21);
});

test("progress: an empty log rejecting at or above its match lost its state: start over", () => {
  const p = new Progress(11, 4, false);
  p.match = 10;
  // A probe at the follower's match, rejected with an empty log's hint (a wiped node).
  assert.ok(p.maybeDecrTo(10, 0));
  assert.equal(p.match, 0, "it no longer counts toward a quorum at its old index");
  assert.equal(p.next, 1, "the next append needs the log's start: a snapshot");
  // A shorter log than it acknowledged (a wiped node whose replica a split made again at the
  // split's index) answering our probe: it starts over from its hint.
  const q = new Progress(11, 4, false);
  q.match = 10;
  assert.ok(q.maybeDecrTo(10, 4));
  assert.equal(q.match, 0, "it no longer counts toward a quorum at its old index");
  assert.equal(q.next, 5, "the next probe is at its hint");
  // Not the probe outstanding: stale, the match stays.
  const s = new Progress(11, 4, false);
  s.match = 10;
  assert.ok(!s.maybeDecrTo(12, 4));
  assert.equal(s.match, 10);
  // Replicating, with nothing to send (match is the last index): a shorter log answering at its
  // match (a heartbeat whose commit its log does not reach, step_follower.ts) starts it over.
  const h = new Progress(11, 4, false);
  h.match = 10;
  h.becomeReplicate();
  assert.ok(h.maybeDecrTo(10, 4));
  assert.equal(h.match, 0, "it no longer counts at its old index");
  assert.equal(h.next, 5, "the next probe is at its hint");
  // A rejection below its match while replicating stays stale.
  const r = new Progress(11, 4, false);
  r.match = 10;
  r.becomeReplicate();
  assert.ok(!r.maybeDecrTo(9, 4));
  assert.equal(r.match, 10);
});
