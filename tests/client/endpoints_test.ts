/**
 * How the client keeps its endpoint rotation current: leaders learned from
 * NOT_LEADER redirects, the member list (at most every
 * CLIENT_MEMBER_SYNC_MS), and the CLIENT_ENDPOINTS_MAX cap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ClientCore } from "../../src/client/client.ts";
import { CLIENT_ENDPOINTS_MAX, CLIENT_MEMBER_SYNC_MS } from "../../src/limits.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { toBytes } from "../../src/util/bytes.ts";
import { FakeNode, follower, leaderWithStore } from "./fake_node.ts";

const platform = getPlatform();

function core(endpoints: string[]): ClientCore {
  return new ClientCore({
    endpoints,
    net: platform.net,
    clock: platform.clock,
    seed: 9,
    deadlineMs: 4000,
    attemptTimeoutMs: 300,
  });
}

const put = (key: string) => ({
  case: "put" as const,
  value: { key: toBytes(key), value: toBytes("v") },
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), "condition not reached in 2 s");
}

test("client endpoints: a leader learned from a redirect joins the rotation", async () => {
  const store = new Map<string, Uint8Array>();
  const applied: string[] = [];
  const inner = leaderWithStore(store, applied);
  let unavailableOnce = false;
  // The leader answers UNAVAILABLE once after the follower is gone, so the client rotates.
  const leader = await new FakeNode((req, reply, conn) => {
    if (req.body.case === "put" && unavailableOnce) {
      unavailableOnce = false;
      return reply({ error: { code: ErrorCode.UNAVAILABLE, message: "busy" } });
    }
    inner(req, reply, conn);
  }).start();
  const f = await new FakeNode(follower(() => leader.address)).start();
  const c = core([f.address]);
  try {
    await c.write(put("a"));
    assert.deepEqual(c.endpoints, [f.address, leader.address]);
    await f.stop();
    unavailableOnce = true;
    await c.write(put("b")); // rotates past the dead follower back to the learned leader
    assert.deepEqual(applied, ["put a", "put b"]);
  } finally {
    c.close();
    await leader.stop();
  }
});

test("client endpoints: the member list is fetched at most once per interval and capped", async () => {
  const store = new Map<string, Uint8Array>();
  const serve = leaderWithStore(store, []);
  const many = Array.from({ length: CLIENT_ENDPOINTS_MAX + 10 }, (_, i) => `10.9.0.${i}:7001`);
  const node = await new FakeNode((req, reply, conn) => {
    if (req.body.case !== "status") return serve(req, reply, conn);
    const members = many.map((address, i) => ({ id: BigInt(i + 1), address, learner: false }));
    reply({ body: { case: "status", value: { id: 1n, role: "leader", members } } });
  }).start();
  const c = core([node.address]);
  const statusCalls = () => node.requests.filter((r) => r.body.case === "status").length;
  try {
    for (let i = 0; i < 5; i++) await c.write(put(`k${i}`));
    await until(() => c.endpoints.length > 1);
    assert.equal(statusCalls(), 1, `one member-list request within ${CLIENT_MEMBER_SYNC_MS} ms`);
    assert.equal(c.endpoints.length, CLIENT_ENDPOINTS_MAX);
    assert.equal(c.endpoints[0], node.address, "the configured endpoint is never dropped");
    await new Promise((r) => setTimeout(r, CLIENT_MEMBER_SYNC_MS + 50));
    await c.write(put("later"));
    await until(() => statusCalls() === 2);
  } finally {
    c.close();
    await node.stop();
  }
});
