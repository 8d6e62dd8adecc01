/**
 * The multi-region driver's parity with the single-group driver (node.ts),
 * per region, over the lossy in-memory network of multi_raft_cluster.ts: a
 * conf change in one region while another commits, a snapshot catch-up of
 * one region, a save refused for space retried without losing a Ready, a
 * fatal save halting the driver, a leader committing (and applying) on its
 * followers' acknowledgements before its own fsync returned, and a region woken from
 * quiescence with fresh tick bookkeeping.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { ReadOnlyOption } from "../../src/raft/core/config.ts";
import {
  ConfChangeTransition,
  ConfChangeType,
} from "../../src/raft/core/confchange/conf_change.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import { StateType } from "../../src/raft/core/state_type.ts";
import type { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";
import { GatedFs } from "./multi_raft_gate.ts";

/** Makes node `leader` lead every region in `regions`. */
async function electOn(c: MultiCluster, leader: number, regions: number[]): Promise<void> {
  for (const r of regions) c.driver(leader).region(r)?.rawNode.campaign();
  await c.until(() => regions.every((r) => c.leaderOf(r) === leader), 100, `n${leader} leads`);
}

function propose(d: MultiRaftDriver, region: number, value: string): void {
  const res = d.propose(region, utf8(value));
  assert.ok(res?.ok, `propose ${value}`);
}

function applied(c: MultiCluster, n: number, region: number): string[] {
  return c.sm(n, region)?.applied ?? [];
}

/** Lets pending promise callbacks (a save's writes and fsync) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

test("multi parity: a conf change in one region while another keeps committing", async () => {
  const changes: string[] = [];
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 2,
    seed: 21,
    loss: 0.05,
    // A leader woken from quiescence refuses conf changes until it hears from a quorum again.
    quiesce: false,
    hooks: (n, region) => ({
      onConfChange: (_cc, cs, index) => changes.push(`n${n} r${region} ${cs.voters} @${index}`),
    }),
  });
  await electOn(c, 1, [1, 2]);
  const leader = c.driver(1);
  propose(leader, 1, "before"); // an entry of this term commits: no conf change is pending
  await c.until(() => [1, 2, 3].every((n) => applied(c, n, 1).length === 1), 100, "before");
  const h = leader.regionNode(1);
  assert.ok(h !== undefined);
  const cc = {
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.RemoveNode, nodeId: 3 }],
  };
  const res = h.proposeConfChange(cc);
  assert.ok(res.ok && !res.forwarded, h.rawNode.status().lastRefusal);
  for (let k = 0; k < 6; k++) {
    propose(leader, 2, `r2v${k}`);
    await c.tick();
  }
  const want = Array.from({ length: 6 }, (_, k) => `r2v${k}`);
  await c.until(() => [1, 2, 3].every((n) => applied(c, n, 2).length === 6), 100, "region 2");
  await c.until(() => changes.length >= 3, 100, "the change applied on every node");
  for (const n of [1, 2, 3]) {
    assert.deepEqual(applied(c, n, 2), want, `n${n}`);
    assert.ok(changes.includes(`n${n} r1 1,2 @${res.index}`), `n${n}: ${changes}`);
    assert.deepEqual(c.driver(n).region(2)?.rawNode.status().confState.voters, [1, 2, 3]);
  }
  assert.deepEqual(leader.region(1)?.rawNode.status().confState.voters, [1, 2]);
  propose(leader, 1, "after");
  await c.until(() => [1, 2].every((n) => applied(c, n, 1).includes("after")), 100, "region 1");
});

test("multi parity: one region catches up from a snapshot, the other from its log", async () => {
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 2,
    seed: 23,
    loss: 0,
    quiesce: true,
    snapshotEntries: 5,
  });
  await electOn(c, 1, [1, 2]);
  c.kill(3);
  for (let k = 0; k < 12; k++) propose(c.driver(1), 1, `a${k}`);
  for (let k = 0; k < 2; k++) propose(c.driver(1), 2, `b${k}`);
  await c.until(() => applied(c, 2, 1).length === 12 && applied(c, 2, 2).length === 2, 100, "1, 2");
  assert.ok(c.logs[0].group(1).snapshotMarker.index >= 10, "region 1 compacted");
  assert.ok(c.logs[0].group(2).snapshotMarker.index < 3, "region 2 not compacted");
  c.down.delete(3);
  await c.until(() => applied(c, 3, 1).length === 12 && applied(c, 3, 2).length === 2, 100, "n3");
  assert.ok((c.sm(3, 1)?.restores ?? 0) >= 1, "region 1 restored from an image");
  assert.equal(c.sm(3, 2)?.restores, 0, "region 2 replicated from the log");
  assert.deepEqual(applied(c, 3, 1), applied(c, 1, 1));
  assert.deepEqual(applied(c, 3, 2), applied(c, 1, 2));
});

test("multi parity: a save refused for space is retried; no Ready is lost", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 3, seed: 25, loss: 0, quiesce: true });
  await electOn(c, 1, [1, 2, 3]);
  const leader = c.driver(1);
  c.worlds[0].fs.failSync(1, "no-space");
  for (const r of [1, 2, 3]) propose(leader, r, `r${r}x`);
  await leader.runOnce(); // the save fails for space: kept, not thrown
  assert.ok(leader.diskFull !== undefined, "disk full reported");
  assert.equal(leader.regionNode(1)?.diskFull, leader.diskFull);
  assert.equal(leader.failure, undefined);
  for (const r of [1, 2, 3]) propose(leader, r, `r${r}y`);
  await c.until(() => [1, 2, 3].every((r) => applied(c, 1, r).length === 2), 50, "applied");
  assert.equal(leader.diskFull, undefined, "cleared by the retried save");
  for (const r of [1, 2, 3]) {
    for (const n of [1, 2, 3]) assert.deepEqual(applied(c, n, r), [`r${r}x`, `r${r}y`]);
  }
});

test("multi parity: a failed fsync halts the driver; the others elect", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 2, seed: 27, loss: 0, quiesce: false });
  await electOn(c, 1, [1, 2]);
  const leader = c.driver(1);
  c.worlds[0].fs.failSync(1, "io");
  propose(leader, 1, "lost?");
  await assert.rejects(leader.runOnce());
  assert.ok(leader.failure !== undefined);
  assert.equal(leader.regionNode(2)?.failure, leader.failure);
  const rounds = leader.rounds;
  await leader.runOnce();
  c.kill(1); // its replicas still believe they lead: leave them out of leaderOf
  await c.until(() => [1, 2].every((r) => c.leaderOf(r) > 1), 200, "new leaders");
  assert.equal(leader.rounds, rounds, "a halted driver runs no round");
  propose(c.driver(c.leaderOf(2)), 2, "after");
  await c.until(() => applied(c, 2, 2).includes("after"), 100, "region 2 commits");
});

test("multi parity: the leader commits on its followers' acks before its own fsync", async () => {
  const gate = new GatedFs();
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 2,
    seed: 29,
    loss: 0,
    quiesce: false,
    wrapFs: (n, fs) => n === 1 ? gate.wrap(fs) : fs,
  });
  await electOn(c, 1, [1, 2]);
  const leader = c.driver(1);
  gate.close();
  for (const r of [1, 2]) propose(leader, r, `r${r}`);
  const round = leader.runOnce(); // sends its appends, then waits in its fsync
  await settle();
  const followers = [c.driver(2), c.driver(3)];
  for (let i = 0; i < 3; i++) {
    c.deliver();
    for (const d of followers) await d.runOnce();
    await settle();
  }
  for (const r of [1, 2]) {
    // Committed on the followers' disks, and they learned it: they applied it.
    for (const n of [2, 3]) assert.deepEqual(applied(c, n, r), [`r${r}`], `n${n} r${r}`);
    // Committed on the followers' disks: the leader applies it before its own fsync returns.
    assert.deepEqual(applied(c, 1, r), [`r${r}`], "the leader applies what its followers hold");
  }
  assert.ok(gate.held > 0, "the leader's fsync is still held");
  gate.open();
  await round;
  for (const r of [1, 2]) assert.deepEqual(applied(c, 1, r), [`r${r}`], "applied once");
});

test("multi parity: a woken region's tick bookkeeping is fresh", async () => {
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 31,
    loss: 0,
    quiesce: true,
    raft: { checkQuorum: true, readOnlyOption: ReadOnlyOption.LeaseBased },
  });
  // With lease reads a (re)started replica votes only after an election timeout.
  for (let i = 0; i < 11; i++) for (const d of c.drivers) d.tick();
  await electOn(c, 1, [1]);
  propose(c.driver(1), 1, "v");
  await c.until(() => c.drivers.every((d) => d.quietCount === 1), 100, "quiet");
  for (let i = 0; i < 30; i++) await c.tick();
  const rn = c.driver(1).region(1)?.rawNode as RawNode;
  const term = rn.term;
  // The worst moment to go quiet: a CheckQuorum just cleared the activity flags, and the
  // next is one tick away.
  const inner = RawNode.innerRaftForTesting(rn);
  inner.electionElapsed = 9;
  for (const [id, pr] of inner.trk.progress) pr.recentActive = id === 1;
  assert.deepEqual(c.driver(1).readIndex(1, utf8("r1")), { ok: true });
  await c.driver(1).runOnce();
  assert.equal(c.sm(1, 1)?.reads, 0, "no lease read on acknowledgements from before the quiet");
  // Its followers get a full election timeout to answer before the next CheckQuorum.
  for (let i = 0; i < 10; i++) c.driver(1).tick();
  assert.ok(rn.isLeader, "no step-down at the next CheckQuorum");
  await c.run(3);
  assert.equal(c.sm(1, 1)?.reads, 1, "answered after a heartbeat round");
  // A follower whose election count froze one tick short of its timeout.
  await c.until(() => c.drivers.every((d) => d.quietCount === 1), 100, "quiet again");
  const f = c.driver(2).region(1)?.rawNode as RawNode;
  const finner = RawNode.innerRaftForTesting(f);
  finner.electionElapsed = finner.randomizedElectionTimeout - 1;
  propose(c.driver(2), 1, "via follower"); // forwarded; wakes the follower region
  c.driver(2).tick();
  assert.equal(finner.state, StateType.Follower, "no campaign on waking");
  await c.until(() => applied(c, 3, 1).includes("via follower"), 50, "forwarded write");
  assert.equal(rn.term, term);
  assert.ok(rn.isLeader);
});
