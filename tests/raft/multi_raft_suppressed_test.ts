/**
 * A replica that may not vote yet (created from a leader's message, or rebuilt, until it has
 * caught up) must not campaign either. The e2e regions run found a region of three voters with
 * two such replicas: its leader handed leadership to one of them (TimeoutNow), which campaigned
 * at a higher term with its vote requests dropped; the higher term unseated the leader, and no
 * node could win a majority again, so nothing could catch the two up: no leader for good.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

const REGION = 1;

test("multi raft: a replica that may not vote ignores a leader's TimeoutNow; the leader stays", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 1, seed: 7, loss: 0, quiesce: false });
  await c.until(() => c.leaderOf(REGION) !== 0, 100, "a leader");
  const leader = c.leaderOf(REGION);
  const others = [1, 2, 3].filter((n) => n !== leader);
  for (const n of others) {
    const replica = c.driver(n).region(REGION);
    assert.ok(replica !== undefined);
    replica.suppressVotes = true;
  }
  const term = c.driver(leader).region(REGION)?.rawNode.term;
  const to = others[0];
  c.driver(leader).transferLeader(REGION, to);
  // Several election timeouts (10 ticks each): the transfer lapses, the leader goes on.
  for (let i = 0; i < 60; i++) await c.tick();
  assert.equal(c.driver(to).region(REGION)?.rawNode.term, term, "the transferee kept its term");
  assert.equal(c.leaderOf(REGION), leader, "the leader kept its leadership");
  assert.ok(c.driver(leader).propose(REGION, utf8("after")) !== undefined);
  await c.until(() => c.sm(to, REGION)?.applied.length === 1, 50, "a write commits");

  // Once they may vote again, a transfer goes through.
  for (const n of others) {
    const replica = c.driver(n).region(REGION);
    if (replica !== undefined) replica.suppressVotes = false;
  }
  c.driver(leader).transferLeader(REGION, to);
  await c.until(() => c.leaderOf(REGION) === to, 60, "the transfer to a voting replica");
});
