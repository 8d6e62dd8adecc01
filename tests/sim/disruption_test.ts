/**
 * A node partitioned away does not disrupt a healthy leader when it returns,
 * thanks to PreVote (thesis §9.6); without PreVote it does (control).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster, ELECTION_TICKS } from "./cluster.ts";
import { optionsForSeed } from "./vopr.ts";

async function run(seed: number, preVote: boolean): Promise<{ before: string; after: string }> {
  const c = await Cluster.create(seed, {
    ...optionsForSeed(seed, 5),
    preVote,
    checkQuorum: true,
    lease: false,
  });
  for (let i = 0; i < 20 * ELECTION_TICKS && c.leader() === undefined; i++) await c.step();
  for (let i = 0; i < 2 * ELECTION_TICKS; i++) await c.step();
  const leader = c.leader();
  assert.ok(leader?.node !== undefined, "a leader is elected");
  const victim = [...c.nodes.keys()].find((id) => id !== leader.id) ?? 0;
  const others = [...c.nodes.keys()].filter((id) => id !== victim).map(String);
  const before = `${leader.id}@${leader.node.rawNode.term}`;
  c.net.partition([[String(victim)], others]);
  for (let i = 0; i < 6 * ELECTION_TICKS; i++) await c.step();
  c.net.heal();
  for (let i = 0; i < 6 * ELECTION_TICKS; i++) await c.step();
  const now = c.leader();
  return { before, after: `${now?.id}@${now?.node?.rawNode.term}` };
}

test("disruption: with PreVote a returning node leaves the leader and term alone", async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const { before, after } = await run(seed, true);
    assert.equal(after, before, `seed ${seed}`);
  }
});

test("disruption: without PreVote the returning node forces a new term (control)", async () => {
  let disrupted = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const { before, after } = await run(seed, false);
    if (after !== before) disrupted++;
  }
  assert.ok(disrupted > 0, "the control never saw a disruption: the test would prove nothing");
});

async function isolatedLeaderState(seed: number, checkQuorum: boolean): Promise<boolean> {
  const c = await Cluster.create(seed, {
    ...optionsForSeed(seed, 3),
    preVote: true,
    checkQuorum,
    lease: false,
  });
  for (let i = 0; i < 20 * ELECTION_TICKS && c.leader() === undefined; i++) await c.step();
  const leader = c.leader();
  assert.ok(leader?.node !== undefined, "a leader is elected");
  const others = [...c.nodes.keys()].filter((id) => id !== leader.id).map(String);
  c.net.partition([[String(leader.id)], others]);
  for (let i = 0; i < 2 * ELECTION_TICKS + 1; i++) await c.step();
  return leader.node?.rawNode.isLeader === true;
}

test("check quorum: a leader cut off from its quorum steps down within two election timeouts", async () => {
  for (let seed = 1; seed <= 10; seed++) {
    assert.equal(await isolatedLeaderState(seed, true), false, `seed ${seed}`);
    assert.equal(await isolatedLeaderState(seed, false), true, `seed ${seed} (control)`);
  }
});
