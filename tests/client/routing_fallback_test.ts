/**
 * Routing on against nodes that do not answer `Regions` (docs/regions.md#routing, route_cache.ts
 * `unrouted`): a node refusing the request (INVALID_ARGUMENT, as an older node does) or answering
 * no region at all makes the client send its requests unrouted, exactly as a client without
 * routing: writes, reads and scans work, and the cache does not ask again at every request.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { FakeNode, follower, leaderWithStore } from "./fake_node.ts";

const platform = getPlatform();

function routingClient(endpoints: string[]): TinyKvClient {
  return new TinyKvClient({
    endpoints,
    net: platform.net,
    clock: platform.clock,
    seed: 11,
    deadlineMs: 3000,
    attemptTimeoutMs: 500,
    routing: true,
  });
}

test("routing fallback: a node refusing Regions is used unrouted, asked once", async () => {
  const store = new Map<string, Uint8Array>();
  const applied: string[] = [];
  const leader = await new FakeNode(leaderWithStore(store, applied)).start();
  const f = await new FakeNode(follower(() => leader.address)).start();
  const c = routingClient([f.address]);
  try {
    assert.equal(await c.put("k", "v1"), 7);
    assert.equal(fromUtf8((await c.get("k")) ?? new Uint8Array()), "v1");
    assert.equal(await c.put("j", "v2"), 7);
    assert.deepEqual(applied, ["put k", "put j"]);
    assert.equal(c.routes?.unrouted, true);
    assert.equal(f.regionsAsked + leader.regionsAsked, 1, "asked once, then unrouted");
    for (const r of [...f.requests, ...leader.requests]) {
      assert.equal(r.route, undefined, "no request carries a route");
    }
  } finally {
    c.close();
    await f.stop();
    await leader.stop();
  }
});

test("routing fallback: a node answering no region, and a scan, go unrouted", async () => {
  const node = await new FakeNode((req, reply) => {
    const b = req.body;
    if (b.case === "regions") return reply({ body: { case: "regions", value: { regions: [] } } });
    if (b.case === "scan") {
      const items = [{ key: new TextEncoder().encode("a"), value: new Uint8Array([1]) }];
      return reply({ body: { case: "scan", value: { items, revision: 3n } } });
    }
    if (b.case === "put") return reply({ body: { case: "write", value: { index: 9n } } });
    reply({ error: { code: 5, message: "unexpected" } });
  }).start();
  node.answersRegions = true;
  const c = routingClient([node.address]);
  try {
    const page = await c.scan({ prefix: "" });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), ["a"]);
    assert.equal(await c.put("x", "y"), 9);
    assert.equal(c.routes?.unrouted, true);
    const asked = node.requests.filter((r) => r.body.case === "regions").length;
    assert.equal(asked, 1);
    const put = node.requests.find((r) => r.body.case === "put");
    assert.equal(put?.route, undefined);
  } finally {
    c.close();
    await node.stop();
  }
});
