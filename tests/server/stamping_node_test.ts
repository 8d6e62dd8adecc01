/**
 * A splitting cluster stamps its commands with the oracle's timestamps from its first split on,
 * not before (src/server/node/stamping.ts; docs/regions.md, "Timestamps from the first split"):
 * until then its writes are plain entries with log-index revisions and need no placement leader,
 * as a one-region node's; after it, revisions are timestamps, above every earlier revision.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "./cluster_helpers.ts";
import { key, noise, regionCounts, SPLIT, splitInto } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

/** Timestamps are milliseconds shifted left: far above any log index a test reaches. */
const TIMESTAMP_MIN = 2 ** 40;

test("stamping: index revisions until the keyspace first splits, timestamps after", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    const first = await client.put("a-before", "1");
    const second = await client.put("a-before", "2");
    assert.ok(
      first < TIMESTAMP_MIN && second === first + 1,
      `index revisions: ${first}, ${second}`,
    );
    for (const s of c.servers.values()) {
      assert.equal(s.node.local.timestamps(), undefined, "no stamping before a split");
      assert.equal(s.node.local.host.regionSnapshots, true, "yet the node splits regions");
    }
    await splitInto(c, client, 2);
    const after = await client.put("a-after", "3");
    assert.ok(after > TIMESTAMP_MIN, `a timestamp after the split: ${after}`);
    for (const s of c.servers.values()) assert.notEqual(s.node.local.timestamps(), undefined);
    const entry = await client.getEntry("a-before");
    assert.equal(entry?.modRevision, second, "the index revisions before the split stay");
  } finally {
    await c.close();
  }
});

test("stamping: RESP writes pipelined through the first split all answer +OK", {
  timeout: 90_000,
}, async () => {
  // A plain write the log holds after the split is refused as a stale route and routed again,
  // stamped (kv/routed_check.ts `plainRefusal`); one that meets the child not hosted yet waits
  // for it (region_router.ts), and one that meets it not led yet waits for its leader
  // (condition_wait.ts). The client sees none of them: before the waits, up to 120 of these SETs
  // answered -CLUSTERDOWN or -TRYAGAIN.
  const c = await startCluster(3, 20, undefined, SPLIT);
  let resp: RawClient | undefined;
  try {
    const leader = await c.leader();
    resp = await RawClient.connect(c.respPorts.get(leader) ?? 0);
    let round = 0;
    while (regionCounts(c).some((n) => n < 3) && round < 200) {
      const batch = Array.from({ length: 20 }, (_, i) => ["SET", key(round * 20 + i), noise(120)]);
      const replies = await resp.send(...batch);
      assert.deepEqual(replies, batch.map(() => "+OK\r\n"), `round ${round}`);
      round++;
    }
    assert.ok(regionCounts(c).every((n) => n >= 3), `split twice after ${round} rounds`);
  } finally {
    resp?.close();
    await c.close();
  }
});
