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
  const before = `${leader.id}@${leader.node.rawNode.raft.term}`;
  c.net.partition([[String(victim)], others]);
  for (let i = 0; i < 6 * ELECTION_TICKS; i++) await c.step();
  c.net.heal();
  for (let i = 0; i < 6 * ELECTION_TICKS; i++) await c.step();
  const now = c.leader();
  return { before, after: `${now?.id}@${now?.node?.rawNode.raft.term}` };
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
