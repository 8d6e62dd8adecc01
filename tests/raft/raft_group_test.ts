/**
 * The `RaftGroup` surface (src/raft/group.ts) behaves alike on both drivers:
 * a single-group RaftNode and one region of the multi-region driver (its
 * handle, `MultiRaftDriver.regionNode`). Timers elect and replicate, hooks
 * report soft states, reads and conf changes, votes can be suppressed,
 * leadership moves, the log compacts on request, a halted group stops, and
 * requests catch up on ticks missed while the process was stalled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import {
  ConfChangeTransition,
  ConfChangeType,
} from "../../src/raft/core/confchange/conf_change.ts";
import { STALL_TICKS_COUNTED } from "../../src/raft/ticker.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import { type GroupFactory, proposeAll, regionOfMulti, singleGroup } from "./raft_group_harness.ts";

const FACTORIES: [string, GroupFactory][] = [["RaftNode", singleGroup], ["region", regionOfMulti]];

for (const [name, make] of FACTORIES) {
  test(`raft group (${name}): timers elect; writes, reads and hooks`, async () => {
    const c = await make(99);
    assert.ok(await c.runUntil(() => c.leader() !== undefined, 5000), "a leader is elected");
    const leader = c.leader();
    assert.ok(leader !== undefined);
    const lead = leader.rawNode.id;
    proposeAll(leader, "p", 20);
    const want = Array.from({ length: 20 }, (_, i) => `p${i}`);
    assert.ok(await c.runUntil(() => [...c.applied.values()].every((l) => l.length === 20), 2000));
    for (const l of c.applied.values()) assert.deepEqual(l, want);
    for (const ev of c.events.values()) assert.ok(ev.includes(`lead ${lead}`), "onSoftState");
    assert.deepEqual(leader.readIndex(utf8("ctx")), { ok: true });
    leader.kick();
    const ev = c.events.get(lead) ?? [];
    assert.ok(await c.runUntil(() => ev.includes("read ctx"), 500), "onReadStates");
    c.stop();
  });

  test(`raft group (${name}): suppressed votes elect nobody until cleared`, async () => {
    const c = await make(7);
    for (const g of c.groups) g.suppressVotes = true;
    assert.equal(await c.runUntil(() => c.leader() !== undefined, 1000), false);
    for (const g of c.groups) assert.equal(g.rawNode.term, 1, "not even a campaign");
    for (const g of c.groups) g.suppressVotes = false;
    assert.ok(await c.runUntil(() => c.leader() !== undefined, 3000), "elected once cleared");
    c.stop();
  });

  test(`raft group (${name}): leadership transfer, conf change, compactNow`, async () => {
    const c = await make(11);
    assert.ok(await c.runUntil(() => c.leader() !== undefined, 5000));
    const leader = c.leader();
    assert.ok(leader !== undefined);
    proposeAll(leader, "a", 5);
    assert.ok(await c.runUntil(() => [...c.applied.values()].every((l) => l.length === 5), 2000));
    const target = c.groups.find((g) => g !== leader);
    assert.ok(target !== undefined);
    assert.deepEqual(leader.rawNode.transferLeader(target.rawNode.id), { ok: true });
    leader.kick();
    assert.ok(await c.runUntil(() => target.rawNode.isLeader, 2000), "transferred");
    const cc = {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
    };
    // A new leader takes conf changes once an entry of its term is applied.
    const settled = () => target.rawNode.status().applied === target.rawNode.status().lastIndex;
    assert.ok(await c.runUntil(settled, 1000));
    const res = target.proposeConfChange(cc);
    assert.ok(res.ok, target.rawNode.status().lastRefusal);
    target.kick();
    const conf = (id: number) => (c.events.get(id) ?? []).includes("conf 1,2,3");
    assert.ok(await c.runUntil(() => [1, 2, 3].every(conf), 2000), "onConfChange everywhere");
    const compacted = target.compactNow();
    await c.runUntil(() => false, 200); // the loop runs a round, then compacts
    assert.ok((await compacted) >= 6, "compacted past the writes");
    c.stop();
  });

  test(`raft group (${name}): a halted group stops; the others go on`, async () => {
    const c = await make(13);
    assert.ok(await c.runUntil(() => c.leader() !== undefined, 5000));
    const old = c.leader();
    assert.ok(old !== undefined);
    const err = new Error("corrupted");
    old.halt(err);
    assert.equal(old.failure, err);
    const next = () => c.groups.find((g) => g !== old && g.rawNode.isLeader);
    assert.ok(await c.runUntil(() => next() !== undefined, 5000), "a new leader");
    const id = old.rawNode.id;
    proposeAll(next() ?? old, "b", 3);
    const others = [1, 2, 3].filter((n) => n !== id);
    const done = () => others.every((n) => (c.applied.get(n) ?? []).length === 3);
    assert.ok(await c.runUntil(done, 2000));
    assert.deepEqual(c.applied.get(id), [], "nothing applied on the halted group");
    c.stop();
  });

  test(`raft group (${name}): requests first catch up on ticks missed in a stall`, async () => {
    const c = await make(17);
    assert.ok(await c.runUntil(() => c.leader() !== undefined, 5000), "a leader is elected");
    const leader = c.leader();
    assert.ok(leader !== undefined);
    const follower = c.groups.find((g) => g !== leader);
    assert.ok(follower !== undefined);
    c.stop(); // the timers no longer fire: as if the process were paused
    const lead = RawNode.innerRaftForTesting(leader.rawNode);
    const follow = RawNode.innerRaftForTesting(follower.rawNode);
    const [leadBefore, followBefore] = [lead.tickCount, follow.tickCount];
    const term = follower.rawNode.term;
    c.clock.advance(1000);
    assert.equal(lead.tickCount, leadBefore);
    leader.readIndex(utf8("r"));
    assert.equal(lead.tickCount, leadBefore + 100, "the leader: one tick per 10 ms");
    follower.readIndex(utf8("r"));
    assert.equal(follow.tickCount, followBefore + STALL_TICKS_COUNTED, "a follower: the first few");
    assert.equal(follower.rawNode.term, term, "no campaign on waking");
  });
}
