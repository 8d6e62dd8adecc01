/**
 * Forwarding by a node that holds no replica of a key's region (docs/regions.md "Forwarding by a
 * node without a replica"): three in-process nodes with `--replicas 2` split into several regions,
 * and placement takes each split region down to two replicas, so each node lacks some. A client
 * that talks to such a node only — a protobuf client without routing, and a RESP connection —
 * writes and reads keys of the region it lacks: the node learns the region's leader from
 * placement and sends the request on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { containsKey, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { lacking, PARTIAL_OPTIONS, respRetrying, splitRegions } from "./region_lacking_helpers.ts";
import { key, putRetrying, until } from "./region_split_helpers.ts";
import { bulk, RawClient } from "./resp/resp_test_client.ts";

test("forwarding: a node without a replica of a region serves its keys on both ports", {
  timeout: 180_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, PARTIAL_OPTIONS);
  let resp: RawClient | undefined;
  try {
    await c.leader();
    const client = c.client();
    const written = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const k = key((i * 37) % 100);
      written.set(k, `v${i}-${"y".repeat(120)}`);
      await putRetrying(client, k, written.get(k) ?? "");
      // One split region is enough (placement leaves it on two of the three nodes); the writes
      // while regions split and placement removes replicas are this test's slow part.
      if (i >= 60 && splitRegions(c).length >= 1) break;
    }
    for (const s of c.servers.values()) s.node.local.splitCheck.stop();
    let found: { node: number; region: RegionDescriptor } | undefined;
    await until(
      "a node lacks a split region",
      () => (found = lacking(c, [], 0)) !== undefined,
      60_000,
    );
    if (found === undefined) throw new Error("unreachable");
    // No more moves while the test looks (placement keeps adjusting replicas and leaders).
    for (const s of c.servers.values()) s.node.local.operators.stop();
    const { node, region } = found;
    const keys = [...written.keys()].filter((k) => containsKey(region, utf8(k))).sort();
    assert.ok(keys.length >= 1, `region ${region.id} holds none of the keys`);
    const k = keys[0];
    const remote = () => c.servers.get(node)?.node.local.router.d.remote;
    const before = remote()?.forwarded ?? 0;
    const text = (v: Uint8Array | undefined) => v === undefined ? undefined : fromUtf8(v);

    // Protobuf, to that node only and without routing: it forwards the read and the write.
    const one = c.client([node]);
    assert.equal(text(await one.get(k)), written.get(k));
    await one.put(k, "through-a-stranger");
    assert.equal(text(await one.get(k)), "through-a-stranger");
    // The value is the region's: a replica reads it too.
    const replica = c.client([region.replicas[0].nodeId]);
    assert.equal(text(await replica.get(k)), "through-a-stranger");

    // RESP, which cannot retry elsewhere: reads and a write of the region's key.
    const port = c.respPorts.get(node);
    if (port === undefined) throw new Error("no RESP port");
    const conn = resp = await RawClient.connect(port);
    const command = (...args: string[]) => respRetrying(conn, args);
    assert.equal(await command("GET", k), bulk("through-a-stranger"));
    assert.equal(await command("SET", k, "resp-value"), "+OK\r\n");
    assert.equal(await command("GET", k), bulk("resp-value"));
    assert.equal(text(await replica.get(k)), "resp-value");
    // The node sent them on (placement may give it a replica of the region meanwhile: moves
    // already ordered still run, so whether it holds one now is not asserted).
    assert.ok((remote()?.forwarded ?? 0) > before, "the node forwarded the requests");
  } finally {
    resp?.close();
    await c.close();
  }
});
