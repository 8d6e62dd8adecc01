/**
 * When the multi-region driver applies, relative to its saves. A leader applies
 * what its followers committed while its own fsync runs
 * (src/raft/multi/apply_ahead.ts): a power loss before that fsync loses the
 * entry from its log but not from the cluster, and the state machine, which
 * already holds it, is not handed it twice when the new leader sends it back.
 * And a round's fsync is issued before the applies it queued run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";
import { GatedFs } from "./multi_raft_gate.ts";

function applied(c: MultiCluster, n: number): string[] {
  return c.sm(n, 1)?.applied ?? [];
}

/** Lets pending promise callbacks (a save's writes and fsync) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

test("apply ahead: a leader that loses power before its fsync keeps one copy of the write", async () => {
  const gate = new GatedFs();
  let gated = true; // the restarted node 1 gets a plain file system
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 61,
    loss: 0,
    quiesce: false,
    wrapFs: (n, fs) => n === 1 && gated ? gate.wrap(fs) : fs,
  });
  c.driver(1).region(1)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  const leader = c.driver(1);
  gate.close();
  assert.ok(leader.propose(1, utf8("a"))?.ok);
  void leader.runOnce(); // sends its appends, then waits in its fsync for good
  await settle();
  for (let i = 0; i < 3; i++) {
    c.deliver();
    for (const n of [2, 3]) await c.driver(n).runOnce();
    await settle();
  }
  assert.ok(gate.held > 0, "the leader's fsync never returned");
  assert.deepEqual(applied(c, 1), ["a"], "applied on the followers' acknowledgements");
  const index = leader.region(1)?.rawNode.commitIndex ?? 0;
  c.sm(1, 1)?.flush(); // the engine made it durable: the worst case
  c.kill(1);
  c.worlds[0].fs.crash("lose");
  gated = false;
  await c.restart(1, false);
  assert.ok(c.logs[0].group(1).lastIndex() < index, "the entry is gone from n1's log");
  assert.deepEqual(applied(c, 1), ["a"], "but not from its state machine");
  await c.until(() => c.leaderOf(1) > 1, 200, "a follower leads");
  assert.ok(c.driver(c.leaderOf(1)).propose(1, utf8("b"))?.ok);
  await c.until(() => [1, 2, 3].every((n) => applied(c, n).length === 2), 200, "b everywhere");
  for (const n of [1, 2, 3]) assert.deepEqual(applied(c, n), ["a", "b"], `n${n}`);
  assert.ok(c.logs[0].group(1).lastIndex() >= index, "n1's log has it again");
});

test("a round's fsync starts before the applies it queued take the thread", async () => {
  const gate = new GatedFs();
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 67,
    loss: 0,
    quiesce: false,
    holdCommitNotices: true,
    wrapFs: (n, fs) => n === 2 ? gate.wrap(fs) : fs,
  });
  c.driver(1).region(1)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  await c.run(3);
  assert.ok(c.driver(1).propose(1, utf8("a"))?.ok);
  await c.run(4); // no tick: the notice of a's commit is held
  assert.deepEqual(applied(c, 2), [], "n2 holds a, not knowing it committed");
  const atSync: string[][] = [];
  gate.onSync = () => atSync.push([...applied(c, 2)]);
  assert.ok(c.driver(1).propose(1, utf8("b"))?.ok);
  await c.run(2); // n2's round: apply a (committed by b's append), save b
  assert.ok(atSync.length > 0, "n2 saved b");
  // Its acknowledgement waits for the fsync, not for the state machine as well.
  assert.deepEqual(atSync[0], [], "the fsync of b was issued before a was applied");
  assert.deepEqual(applied(c, 2), ["a"]);
});

test("apply ahead: a write proposed during the leader's save commits and applies in it", async () => {
  const gate = new GatedFs();
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 71,
    loss: 0,
    quiesce: false,
    holdCommitNotices: true,
    wrapFs: (n, fs) => n === 1 ? gate.wrap(fs) : fs,
  });
  c.driver(1).region(1)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  const leader = c.driver(1);
  gate.close();
  assert.ok(leader.propose(1, utf8("a"))?.ok);
  const round = leader.runOnce(); // waits in its fsync of a
  const followersRun = async () => {
    for (let i = 0; i < 3; i++) {
      await settle();
      c.deliver();
      for (const n of [2, 3]) await c.driver(n).runOnce();
    }
    await settle();
  };
  await followersRun();
  assert.deepEqual(applied(c, 1), ["a"]);
  // The followers hold everything sent: b's appends leave now, not after the fsync of a.
  assert.ok(leader.propose(1, utf8("b"))?.ok);
  await followersRun();
  assert.deepEqual(applied(c, 1), ["a", "b"], "b applied while the fsync of a still runs");
  assert.equal(gate.held, 1, "one fsync held: a's");
  gate.open();
  await round;
  await c.tick(); // the held notice of b's commit leaves
  for (const n of [1, 2, 3]) assert.deepEqual(applied(c, n), ["a", "b"], `n${n}`);
});
