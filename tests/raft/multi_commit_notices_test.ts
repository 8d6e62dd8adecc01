/**
 * The driver's held commit notices (src/raft/multi/commit_notices.ts): a
 * leader's append without entries waits for the next append to that follower
 * (which replaces it) or the next tick (which sends it); replicas agree either
 * way, with and without message loss.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { type Message, MessageType } from "../../src/raft/core/messages.ts";
import { HeldCommitNotices } from "../../src/raft/multi/commit_notices.ts";
import type { RegionReplica } from "../../src/raft/multi/region_replica.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

/** Only what HeldCommitNotices reads of a replica: its core's role and term. */
function replica(isLeader: boolean, term: number): RegionReplica {
  return { rawNode: { isLeader, term } } as unknown as RegionReplica;
}

function app(to: number, term: number, entries: number, commit: number): Message {
  const e = Array.from({ length: entries }, (_, i) => ({
    term,
    index: 10 + i,
    type: 0,
    data: new Uint8Array(0),
  }));
  return {
    type: MessageType.App,
    from: 1,
    to,
    term,
    index: 9,
    logTerm: term,
    entries: e,
    commit,
  } as unknown as Message;
}

test("held notices: held per follower, replaced by an append, released while still leading", () => {
  const held = new HeldCommitNotices();
  const r = replica(true, 3);
  assert.equal(held.hold(r, app(2, 3, 0, 5)), true, "a notice is held");
  assert.equal(held.hold(r, app(2, 3, 0, 6)), true, "a newer notice replaces the held one");
  assert.equal(held.hold(r, app(3, 3, 0, 6)), true);
  assert.equal(held.hold(r, app(2, 3, 1, 6)), false, "an append with entries leaves");
  assert.equal(held.hold(r, app(2, 2, 0, 6)), false, "a notice of another term is not held");
  assert.equal(held.hold(replica(false, 3), app(2, 3, 0, 6)), false, "nor a non-leader's");
  assert.deepEqual(held.counts, { held: 3, replaced: 2 });
  const out = held.release();
  assert.equal(out.length, 1);
  assert.deepEqual(out[0][1].map((m) => [m.to, m.type === MessageType.App && m.commit]), [[3, 6]]);
  assert.deepEqual(held.release(), [], "released once");
  held.hold(r, app(2, 3, 0, 7));
  (r.rawNode as unknown as { isLeader: boolean }).isLeader = false;
  assert.deepEqual(held.release(), [], "a region no longer led drops its notices");
});

async function cluster(seed: number, loss: number): Promise<MultiCluster> {
  const o = { nodes: 3, regions: 2, seed, loss, quiesce: false, holdCommitNotices: true };
  const c = await MultiCluster.start(o);
  for (const r of [1, 2]) c.driver(1).region(r)?.rawNode.campaign();
  await c.until(() => [1, 2].every((r) => c.leaderOf(r) === 1), 100, "n1 leads");
  return c;
}

function applied(c: MultiCluster, n: number, region: number): string[] {
  return c.sm(n, region)?.applied ?? [];
}

test("held notices: followers learn a commit with the next append, or at the next tick", async () => {
  const c = await cluster(41, 0);
  await c.until(() => [2, 3].every((n) => applied(c, n, 1).length === 0), 5, "idle");
  c.driver(1).propose(1, utf8("a"));
  await c.run(4); // no tick: the leader commits and applies; the notice is held
  assert.deepEqual(applied(c, 1, 1), ["a"]);
  assert.deepEqual([applied(c, 2, 1), applied(c, 3, 1)], [[], []], "followers wait");
  c.driver(1).propose(1, utf8("b"));
  await c.run(4); // the next append carries the commit of "a"
  assert.deepEqual([applied(c, 2, 1), applied(c, 3, 1)], [["a"], ["a"]]);
  await c.tick(); // the held notice of "b" leaves
  for (const n of [1, 2, 3]) assert.deepEqual(applied(c, n, 1), ["a", "b"], `n${n}`);
});

test("held notices: under loss every replica applies the same values (seeds 43-45)", async () => {
  for (let seed = 43; seed <= 45; seed++) {
    const c = await cluster(seed, 0.1);
    for (let i = 0; i < 20; i++) {
      const r = 1 + (i % 2);
      const lead = c.leaderOf(r);
      if (lead !== 0) c.driver(lead).propose(r, utf8(`r${r}#${i}`));
      if (i % 3 === 0) await c.tick();
      else await c.run(2);
    }
    const last = (r: number) => [1, 2, 3].every((n) => applied(c, n, r).at(-1) === `r${r}#last`);
    for (const r of [1, 2]) c.driver(c.leaderOf(r)).propose(r, utf8(`r${r}#last`));
    await c.until(() => last(1) && last(2), 200, `seed ${seed}: last values`);
    for (const r of [1, 2]) {
      for (const n of [2, 3]) assert.deepEqual(applied(c, n, r), applied(c, 1, r), `n${n} r${r}`);
    }
  }
});
