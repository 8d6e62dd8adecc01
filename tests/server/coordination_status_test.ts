import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "./cluster_helpers.ts";

test("status: the store revision, compacted revision, leases and open watches of a node", async () => {
  const c = await startCluster(1);
  try {
    const client = c.client();
    await client.put("a", "1");
    const last = await client.put("a", "2");
    const lease = await client.grant(60);
    await client.compact(last);
    const watch = client.watch({ prefix: "a" });
    const node = c.servers.get(1)?.node;
    assert.ok(node !== undefined);
    const deadline = Date.now() + 5000;
    while (node.status().watches !== 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const s = node.status();
    assert.equal(s.revision, last, "puts move the revision; a grant and a compaction do not");
    assert.equal(s.compactedRevision, last);
    assert.equal(s.leases, 1);
    assert.equal(s.watches, 1);
    const wire = await client.status();
    assert.deepEqual([wire.revision, wire.compactedRevision], [last, last]);
    watch.cancel();
    await client.revoke(lease.id);
    assert.equal(node.status().leases, 0);
  } finally {
    await c.close();
  }
});
