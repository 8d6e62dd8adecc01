/**
 * The client library's key expiry (docs/coordination.md#key-expiry) against a
 * fake node: what put, expire and a txn put send, and bad options refused
 * before anything is sent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExpireCondition } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { FakeNode, type Handler } from "./fake_node.ts";

const platform = getPlatform();

async function withNode(run: (c: TinyKvClient, node: FakeNode) => Promise<void>) {
  const handler: Handler = (req, reply) => {
    if (req.body.case === "txn") {
      return reply({ body: { case: "txn", value: { succeeded: true, revision: 3n } } });
    }
    reply({ body: { case: "write", value: { index: 5n, applied: req.body.case !== "expire" } } });
  };
  const node = await new FakeNode(handler).start();
  const c = new TinyKvClient({
    endpoints: [node.address],
    net: platform.net,
    clock: platform.clock,
    seed: 3,
    deadlineMs: 3000,
    attemptTimeoutMs: 500,
  });
  try {
    await run(c, node);
  } finally {
    c.close();
    await node.stop();
  }
}

const sent = (node: FakeNode) => node.requests.filter((r) => r.body.case !== "status");

test("client expiry: put, expire and a txn put send the expiry fields", async () => {
  await withNode(async (c, node) => {
    await c.put("a", "v", { ttlMs: 1500 });
    await c.put("b", "v", { expireAtMs: 1_767_225_600_000 });
    await c.put("c", "v", { keepTtl: true });
    assert.equal(await c.expire("a", { ttlMs: 100, condition: "gt" }), false);
    await c.expire("a", { persist: true });
    await c.expire("a", { ttlMs: -5 });
    await c.txn({ success: [{ put: { key: "t", value: "v", ttlMs: 9 } }] });
    const bodies = sent(node).map((r) => r.body);
    const puts = bodies.flatMap((b) => b.case === "put" ? [b.value] : []);
    assert.deepEqual(puts.map((p) => [p.ttlMs, p.expireAtMs, p.keepTtl]), [
      [1500n, 0n, false],
      [0n, 1_767_225_600_000n, false],
      [0n, 0n, true],
    ]);
    const expires = bodies.flatMap((b) => b.case === "expire" ? [b.value] : []);
    assert.deepEqual(expires.map((e) => [e.when.case, e.when.value, e.condition]), [
      ["ttlMs", 100n, ExpireCondition.GT],
      ["persist", true, ExpireCondition.UNSPECIFIED],
      // A TTL of 0 or less deletes the key: an expiry already past.
      ["expireAtMs", 1n, ExpireCondition.UNSPECIFIED],
    ]);
    const txn = bodies.find((b) => b.case === "txn");
    const op = txn?.case === "txn" ? txn.value.success[0].op : undefined;
    assert.equal(op?.case === "put" && op.value.ttlMs, 9n);
  });
});

test("client expiry: exactly one of ttlMs, expireAtMs, persist; nothing sent otherwise", async () => {
  await withNode(async (c, node) => {
    const bad = { code: "INVALID_ARGUMENT" };
    await assert.rejects(c.expire("a", {}), bad);
    await assert.rejects(c.expire("a", { ttlMs: 1, persist: true }), bad);
    await assert.rejects(c.put("a", "v", { ttlMs: 1.5 }), bad);
    assert.equal(sent(node).length, 0);
  });
});
