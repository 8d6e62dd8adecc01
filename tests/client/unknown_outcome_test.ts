import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { FakeNode, leaderWithStore } from "./fake_node.ts";

const platform = getPlatform();

test("a write that may have applied stays outcome-unknown when a retry is refused", async () => {
  // The first node takes the write and drops the connection before answering (it may have
  // applied it); the second refuses with an error the client does not retry.
  const first = await new FakeNode((_req, _reply, conn) => conn.close()).start();
  const second = await new FakeNode((_req, reply) =>
    reply({ error: { code: ErrorCode.UNAUTHORIZED, message: "no token", leaderAddress: "" } })
  ).start();
  const c = new TinyKvClient({
    endpoints: [first.address, second.address],
    net: platform.net,
    clock: platform.clock,
    seed: 42,
    deadlineMs: 3000,
    attemptTimeoutMs: 300,
  });
  try {
    await assert.rejects(c.put("k", "v"), (err: unknown) => {
      assert.ok(err instanceof TinyKvError);
      assert.equal(err.code, "UNAUTHORIZED");
      assert.equal(err.outcomeUnknown, true);
      return true;
    });
    assert.equal(first.requests.length, 1);
    assert.equal(second.requests.length, 1);
  } finally {
    c.close();
    await first.stop();
    await second.stop();
  }
});

test("CORRUPTION from one node moves the client to another; with one endpoint it is final", async () => {
  const damaged = await new FakeNode((_req, reply) =>
    reply({ error: { code: ErrorCode.CORRUPTION, message: "damaged", leaderAddress: "" } })
  ).start();
  const healthy = await new FakeNode(leaderWithStore(new Map(), [])).start();
  const options = { net: platform.net, clock: platform.clock, seed: 7, deadlineMs: 3000 };
  const both = new TinyKvClient({ ...options, endpoints: [damaged.address, healthy.address] });
  const alone = new TinyKvClient({ ...options, endpoints: [damaged.address] });
  try {
    await both.put("k", "v");
    assert.equal(damaged.requests.length, 1);
    assert.equal(healthy.requests.length, 1);
    await assert.rejects(alone.put("k", "v"), (err: unknown) => {
      assert.ok(err instanceof TinyKvError);
      assert.equal(err.code, "CORRUPTION");
      assert.equal(err.outcomeUnknown, false);
      return true;
    });
    assert.equal(damaged.requests.length, 2, "one attempt: nowhere else to go");
  } finally {
    both.close();
    alone.close();
    await damaged.stop();
    await healthy.stop();
  }
});
