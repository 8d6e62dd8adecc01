/**
 * Region 1's voters on real nodes (docs/regions.md "Region 1's voters"): in a sharded cluster
 * with `--replicas 3`, four members make region 1 three voters and a learner; `member add` of a
 * fifth leaves it a learner; a voter's node stopped past the replace timeout gives its vote to a
 * live learner (staying a member), and region 1 keeps serving on three live voters.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConfState } from "../../src/raft/core/messages.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { putRetrying, until } from "./region_split_helpers.ts";

const OPTIONS = {
  regionSplitBytes: 1 << 20, // a node that splits (none is needed here)
  splitCheckMs: 40,
  placement: { heartbeatMs: 50, replicas: 3, replaceTimeoutMs: 1_500 },
} as const;

/** Region 1's configuration as its leader holds it (undefined: no leader now). */
function region1(c: TestCluster): { leader: number; conf: ConfState } | undefined {
  for (const [id, s] of c.servers) {
    const rn = s.node.node.rawNode;
    if (rn.isLeader) return { leader: id, conf: rn.status().confState };
  }
  return undefined;
}

const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);

function shape(c: TestCluster): string {
  const r = region1(c);
  if (r === undefined) return "no leader";
  const cs = r.conf;
  return `leader ${r.leader} voters ${sorted(cs.voters)} learners ${sorted(cs.learners)}` +
    (cs.votersOutgoing.length > 0 ? " joint" : "");
}

/** Waits for `ok`; a failure names region 1's shape then. */
async function waitFor(c: TestCluster, what: string, ok: () => boolean, ms: number) {
  try {
    await until(what, ok, ms);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : err}; region 1: ${shape(c)}`);
  }
}

test("region 1 voters: capped at --replicas; a dead voter's vote moves to a live learner", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(4, 20, undefined, OPTIONS);
  try {
    const settledAt = (voters: number, learners: number) => () => {
      const r = region1(c);
      return r !== undefined && r.conf.votersOutgoing.length === 0 &&
        r.conf.voters.length === voters && r.conf.learners.length === learners;
    };
    // Four peers found the cluster as four voters; placement demotes one.
    await waitFor(c, "3 voters, 1 learner", settledAt(3, 1), 30_000);
    // A fifth node added joins as a learner member: region 1 already has three voters.
    const address = await c.startJoining(5);
    const first = region1(c);
    assert.ok(first !== undefined);
    await c.servers.get(first.leader)?.node.membership.add(5, address);
    const added = region1(c);
    assert.ok(added !== undefined && added.conf.learners.includes(5), shape(c));
    assert.equal(added.conf.voters.length, 3, shape(c));
    await waitFor(c, "3 voters, 2 learners", settledAt(3, 2), 30_000);
    // Stop a voter that does not lead region 1: past the replace timeout a learner takes its vote.
    const r = region1(c);
    assert.ok(r !== undefined);
    const victim = r.conf.voters.find((id) => id !== r.leader) ?? 0;
    await c.stop(victim);
    const replaced = () => {
      const now = region1(c);
      return now !== undefined && settledAt(3, 2)() && !now.conf.voters.includes(victim) &&
        now.conf.learners.includes(victim);
    };
    await waitFor(c, `node ${victim}'s vote moved`, replaced, 60_000);
    // Region 1 serves: its keys (before the first split point) write and read back.
    const client = c.client([...c.servers.keys()].filter((id) => id <= 4));
    await putRetrying(client, "a-key", "v1");
    const read = await client.get("a-key");
    assert.equal(read === undefined ? undefined : new TextDecoder().decode(read), "v1");
  } finally {
    await c.close();
  }
});
