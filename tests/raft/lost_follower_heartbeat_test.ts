/**
 * A follower that lost its log while its leader was idle (docs/raft.md, "A follower that lost its
 * log"). The leader counted it at the match it acknowledged before and, its match being the last
 * index, sent it heartbeats only: no append, so no rejection ever told the leader. The region
 * simulator's seed 62 with merge: a merge's source prepared, a node wiped and re-created its
 * replica empty; the probe its leader sent on the node's new incarnation was cut (one-way
 * partition) after the heartbeat's answer got through, and the leader, still counting the
 * fence in that replica's log, committed the merge; the replica never got the source's image
 * (its group was dropped once merged) and its target waited for it for good.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Message, MessageType } from "../../src/raft/core/messages.ts";
import { ProgressState } from "../../src/raft/core/tracker/progress.ts";
import { MemoryStorage } from "../../src/raft/core/storage.ts";
import type { Raft } from "../../src/raft/core/raft.ts";
import { HEARTBEAT, Net, newRaft, take, tickN } from "./helpers.ts";

/** A leader (node 1) with every follower caught up and idle: match is the last index. */
function idleCluster(): Net {
  const net = new Net([newRaft(1, [1, 2, 3]), newRaft(2, [1, 2, 3]), newRaft(3, [1, 2, 3])]);
  net.elect(1);
  for (const v of ["a", "b", "c"]) net.propose(1, v);
  heartbeatRound(net);
  return net;
}

function heartbeatRound(net: Net): void {
  const leader = net.get(1);
  tickN(leader, HEARTBEAT);
  for (const m of take(leader)) net.send(m);
}

/** Steps `m` into `to` and returns what it sends. */
function deliver(to: Raft, m: Message): Message[] {
  to.step(m);
  return take(to);
}

test("raft: a heartbeat tells an idle leader that its follower lost its log", () => {
  const net = idleCluster();
  const leader = net.get(1);
  const last = leader.log.lastIndex();
  const before = leader.trk.progress.get(3);
  assert.equal(before?.match, last, "caught up before the wipe");
  assert.equal(before?.state, ProgressState.Replicate);

  // Node 3 comes back with an empty log (a wiped node, a replica created from a message).
  const wiped = newRaft(3, [1, 2, 3], {}, new MemoryStorage());
  net.nodes.set(3, wiped);

  // One heartbeat reaches it and its answers reach the leader; nothing the leader sends after
  // (the append or snapshot that follows) is delivered: a one-way cut.
  tickN(leader, HEARTBEAT);
  const beat = take(leader).find((m) => m.to === 3 && m.type === MessageType.Heartbeat);
  assert.ok(beat !== undefined && beat.type === MessageType.Heartbeat);
  assert.ok(beat.commit > wiped.log.lastIndex(), "the beat's commit is past the empty log");
  const answers = deliver(wiped, beat);
  assert.ok(
    answers.some((m) => m.type === MessageType.AppResp && m.reject),
    "the follower says its log ends below the commit its leader sent",
  );
  for (const m of answers) leader.step(m);

  const after = leader.trk.progress.get(3);
  assert.equal(after?.match, 0, "the leader no longer counts it at its old index");
  const sent = take(leader).filter((m) => m.to === 3);
  assert.ok(
    sent.some((m) => m.type === MessageType.Snap),
    "the leader starts it over from a snapshot (its log starts past index 1)",
  );
});

test("raft: a caught-up follower answers a heartbeat without a rejection", () => {
  const net = idleCluster();
  const leader = net.get(1);
  tickN(leader, HEARTBEAT);
  const beat = take(leader).find((m) => m.to === 3 && m.type === MessageType.Heartbeat);
  assert.ok(beat !== undefined);
  const answers = deliver(net.get(3), beat);
  assert.deepEqual(answers.map((m) => m.type), [MessageType.HeartbeatResp]);
  for (const m of answers) leader.step(m);
  assert.equal(leader.trk.progress.get(3)?.match, leader.log.lastIndex());
});
