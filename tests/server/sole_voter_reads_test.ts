/**
 * A single node answers linearizable reads without a ReadIndex round (read_issuer.ts); once a
 * second voter joins, its reads go through rounds again — a stale shortcut there could serve a
 * read that a new leader elsewhere has already overtaken.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "./cluster_helpers.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("sole voter reads: answered at once on one node, through rounds after a voter joins", async () => {
  const c = await startCluster(1);
  try {
    const client = c.client();
    await client.put("k", "v1");
    const node = c.servers.get(1)?.node;
    assert.ok(node !== undefined);
    assert.equal(node.reads.readyNow(), true, "a lone leader with its commit index applied");
    const now = node.readStateNow("linearizable", (kv) => kv.keyCount);
    assert.equal(now?.value, 1, "answered in the same turn");

    const address = await c.startJoining(2);
    await client.addMember(2, address);
    await until("two voters", () => node.status().members.filter((m) => !m.learner).length === 2);
    assert.equal(node.reads.readyNow(), false, "no shortcut with a second voter");
    assert.equal(node.readStateNow("linearizable", (kv) => kv.keyCount), undefined);
    // Serializable reads need no barrier, voters or not.
    assert.equal(node.readStateNow("serializable", (kv) => kv.keyCount)?.value, 1);
    await client.put("k", "v2");
    const got = await client.get("k");
    assert.equal(fromUtf8(got ?? new Uint8Array()), "v2");
    assert.equal(await node.readState("linearizable", (kv) => kv.keyCount), 1);
  } finally {
    await c.close();
  }
});
