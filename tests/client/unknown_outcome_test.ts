import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { FakeNode } from "./fake_node.ts";

const platform = getPlatform();

test("a write that may have applied stays outcome-unknown when a retry is refused", async () => {
  // The first node takes the write and drops the connection before answering (it may have
  // applied it); the second refuses with an error the client does not retry.
  const first = await new FakeNode((_req, _reply, conn) => conn.close()).start();
  const second = await new FakeNode((_req, reply) =>
    reply({ error: { code: ErrorCode.CORRUPTION, message: "damaged", leaderAddress: "" } })
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
      assert.equal(err.code, "CORRUPTION");
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
