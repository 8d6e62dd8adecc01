/**
 * A client's retry of a `batch` across regions that reached another node
 * (docs/transactions.md#on-nodes): the first node's transaction committed, but the client did
 * not hear it (its attempt timed out) and sent the same request (same client id and sequence)
 * to a second node. The second node's transaction is refused at its primary's commit, which the
 * first recorded in the primary region's client session: it answers the first's revision and
 * writes nothing, so a write made in between is not overwritten by the request a second time.
 * A `txn` whose retry finds the first's writes and takes its other branch (one that only reads,
 * and whose keys would make another key the primary) answers the first's answer too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto } from "./region_split_helpers.ts";
import { txnToWire } from "../../src/client/txn.ts";

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

test("region txn retry node: a txn retried at another node answers its first branch", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    await splitInto(c, client, 3);
    const [x, y] = [key(3), key(94)];
    assert.notEqual(regionOf(c, x), regionOf(c, y), "the keys lie in two regions");
    await client.put(y, "y0");
    // If y still holds y0, write y1; else read both. Its first run writes y (the primary
    // would be y); a retry finds y1, so it takes the branch that only reads (x first).
    const txn: CommandInit = {
      clientId: 4343n,
      sequence: 1n,
      body: {
        case: "txn",
        value: txnToWire({
          compare: [{ key: y, target: "value", result: "=", value: "y0" }],
          success: [{ put: { key: y, value: "y1" } }],
          failure: [{ range: { key: x } }, { range: { key: y } }],
        }),
      },
    };
    const answer = (o: Awaited<ReturnType<typeof first.local.router.execute>>) =>
      o?.case === "txn"
        ? { succeeded: o.value.succeeded, revision: o.value.revision }
        : { succeeded: undefined, revision: -1n };
    const first = nodeOf(c, 1), second = nodeOf(c, 2);
    const applied = answer(await first.local.router.execute(txn));
    assert.equal(applied?.succeeded, true, "the first run's compare held");
    // The same request again, at another node: the first's answer, not a failed compare.
    const retried = answer(await second.local.router.execute(txn));
    assert.deepEqual(retried, applied, "the retry answers what the first did");
    assert.equal(fromUtf8(await client.get(y) ?? utf8("")), "y1");
  } finally {
    await c.close();
  }
});
