/**
 * A client's retry of a `batch` across regions that reached another node
 * (docs/transactions.md#on-nodes): the first node's transaction committed, but the client did
 * not hear it (its attempt timed out) and sent the same request (same client id and sequence)
 * to a second node. The second node's transaction is refused at its primary's commit, which the
 * first recorded in the primary region's client session: it answers the first's revision and
 * writes nothing, so a write made in between is not overwritten by the request a second time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto } from "./region_split_helpers.ts";

function regionOf(c: TestCluster, k: string): number {
  return hostOf(c, 1).regionFor(utf8(k))?.id ?? 0;
}

function nodeOf(c: TestCluster, id: number) {
  const node = c.servers.get(id)?.node;
  if (node === undefined) throw new Error(`node ${id}`);
  return node;
}

test("region txn retry node: a batch across regions retried at another node applies once", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    await splitInto(c, client, 3);
    const [x, y] = [key(3), key(94)];
    assert.notEqual(regionOf(c, x), regionOf(c, y), "the keys lie in two regions");

    const batch = (sequence: bigint): CommandInit => ({
      clientId: 4242n,
      sequence,
      body: {
        case: "batch",
        value: {
          ops: [x, y].map((k) => ({
            op: { case: "put" as const, value: { key: utf8(k), value: utf8(`batch-${k}`) } },
          })),
        },
      },
    });
    const revisionOf = (o: Awaited<ReturnType<typeof first.local.router.execute>>) =>
      o?.case === "write" ? Number(o.value.revision) : -1;

    const first = nodeOf(c, 1), second = nodeOf(c, 2);
    const applied = revisionOf(await first.local.router.execute(batch(1n)));
    assert.ok(applied > 0, "the batch committed");
    const between = await client.put(x, "between");
    assert.ok(between > applied);

    // The same request again, at another node: the first's answer, nothing written again.
    const retried = revisionOf(await second.local.router.execute(batch(1n)));
    assert.equal(retried, applied, "the retry answers the first transaction's revision");
    const [ex, ey] = await Promise.all([client.getEntry(x), client.getEntry(y)]);
    assert.equal(fromUtf8(ex?.value ?? utf8("")), "between", "the retry did not write again");
    assert.equal(ex?.modRevision, between);
    assert.equal(ey?.modRevision, applied);

    // The client's next request (a new sequence) runs as usual.
    const next = revisionOf(await second.local.router.execute(batch(2n)));
    assert.ok(next > between, "a new request commits");
    assert.equal(fromUtf8(await client.get(x) ?? utf8("")), `batch-${x}`);
  } finally {
    await c.close();
  }
});
