import { test } from "node:test";
import assert from "node:assert/strict";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { FakeNode, follower, leaderWithStore } from "./fake_node.ts";

const platform = getPlatform();

function client(endpoints: string[], extra = {}) {
  return new TinyKvClient({
    endpoints,
    net: platform.net,
    clock: platform.clock,
    seed: 42,
    deadlineMs: 3000,
    attemptTimeoutMs: 300,
    ...extra,
  });
}

test("client follows NOT_LEADER to the leader's address and remembers it", async () => {
  const store = new Map<string, Uint8Array>();
  const applied: string[] = [];
  const leader = await new FakeNode(leaderWithStore(store, applied)).start();
  const f = await new FakeNode(follower(() => leader.address)).start();
  const c = client([f.address]);
  try {
    assert.equal(await c.put("k", "v1"), 7);
    assert.equal(fromUtf8((await c.get("k")) ?? new Uint8Array()), "v1");
    assert.equal(await c.get("missing"), undefined);
    assert.equal(f.requests.length, 1, "only the first request went to the follower");
    assert.deepEqual(applied, ["put k"]);
  } finally {
    c.close();
    await f.stop();
    await leader.stop();
  }
});

test("client retries a write whose response was lost with the same client id and sequence", async () => {
  const store = new Map<string, Uint8Array>();
  const applied: string[] = [];
  const inner = leaderWithStore(store, applied);
  let dropped = 0;
  const leader = await new FakeNode((req, reply, conn) => {
    // Apply the first attempt but lose its response.
    inner(req, (r) => dropped++ === 0 ? undefined : reply(r), conn);
  }).start();
  const c = client([leader.address]);
  try {
    assert.equal(await c.put("x", "1"), 7);
    assert.deepEqual(applied, ["put x"], "applied once despite the retry");
    // (The client also asks for the member list in the background: not a write.)
    const writes = () => leader.requests.filter((r) => r.body.case !== "status");
    const [first, second] = writes();
    assert.equal(first.clientId, second.clientId);
    assert.equal(first.sequence, second.sequence);
    assert.ok(first.clientId > 0n && first.sequence > 0n);
    await c.put("y", "2");
    const third = writes()[2];
    assert.equal(third.sequence, first.sequence + 1n, "a new write gets the next sequence");
    assert.equal(third.ackedSequence, first.sequence, "and acknowledges the finished one");
  } finally {
    c.close();
    await leader.stop();
  }
});

test("client gives up at the deadline when no node answers, saying nothing was applied", async () => {
  const dead = await new FakeNode(() => {}).start();
  const address = dead.address;
  await dead.stop();
  const c = client([address], { deadlineMs: 400 });
  const started = platform.clock.nowMs();
  try {
    await assert.rejects(c.put("k", "v"), (err: unknown) => {
      assert.ok(err instanceof TinyKvError);
      assert.equal(err.code, "UNAVAILABLE");
      assert.equal(err.outcomeUnknown, false);
      return true;
    });
    const took = platform.clock.nowMs() - started;
    assert.ok(took >= 300 && took < 2000, `gave up after ${took} ms`);
  } finally {
    c.close();
  }
});

test("client pipelines 500 requests on one connection and matches out-of-order replies", async () => {
  const held: (() => void)[] = [];
  const node = await new FakeNode((req, reply) => {
    held.push(() =>
      reply({
        body: {
          case: "get",
          value: {
            found: true,
            value: req.body.case === "get" ? req.body.value.key : new Uint8Array(),
            version: 0n,
          },
        },
      })
    );
    if (held.length === 500) held.reverse().forEach((send) => send());
  }).start();
  const c = client([node.address]);
  try {
    const keys = Array.from({ length: 500 }, (_, i) => `key-${i}`);
    const values = await Promise.all(keys.map((k) => c.get(k)));
    assert.deepEqual(values.map((v) => fromUtf8(v ?? new Uint8Array())), keys);
  } finally {
    c.close();
    await node.stop();
  }
});

test("client does not retry errors that cannot succeed", async () => {
  const node = await new FakeNode(leaderWithStore(new Map(), [])).start();
  const c = client([node.address]);
  try {
    await assert.rejects(c.delete("k"), (err: unknown) => {
      assert.ok(err instanceof TinyKvError);
      assert.equal(err.code, "INVALID_ARGUMENT");
      return true;
    });
    assert.equal(node.requests.length, 1);
  } finally {
    c.close();
    await node.stop();
  }
});

test("client learns the member list, so it survives losing every configured endpoint", async () => {
  const store = new Map<string, Uint8Array>();
  const applied: string[] = [];
  const b = await new FakeNode(leaderWithStore(store, applied)).start();
  const serve = leaderWithStore(store, applied);
  // Node A serves writes itself (like a follower forwarding them) and lists A and B as members.
  const a = await new FakeNode((req, reply, conn) => {
    if (req.body.case !== "status") return serve(req, reply, conn);
    const members = [a.address, b.address].map((address, i) => ({
      id: BigInt(i + 1),
      address,
      learner: false,
    }));
    reply({ body: { case: "status", value: { id: 1n, role: "follower", members } } });
  }).start();
  const c = client([a.address], { deadlineMs: 5000 });
  try {
    await c.put("k1", "v");
    for (let i = 0; i < 100 && !a.requests.some((r) => r.body.case === "status"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 50)); // the status answer arrives
    await a.stop();
    await c.put("k2", "v");
    assert.deepEqual(applied, ["put k1", "put k2"]);
    assert.equal(b.requests.filter((r) => r.body.case === "put").length, 1);
  } finally {
    c.close();
    await b.stop();
  }
});

test("client moves on from a node that never answers to one that does", async () => {
  const store = new Map<string, Uint8Array>();
  const applied: string[] = [];
  // A paused leader: it accepts connections and reads requests but never replies.
  const silent = await new FakeNode(() => {}).start();
  const leader = await new FakeNode(leaderWithStore(store, applied)).start();
  const c = client([silent.address, leader.address], { deadlineMs: 2500 });
  try {
    assert.equal(await c.put("k", "v"), 7);
    assert.deepEqual(applied, ["put k"]);
    assert.equal(silent.requests.length, 1, "one attempt timed out on the silent node");
  } finally {
    c.close();
    await silent.stop();
    await leader.stop();
  }
});
