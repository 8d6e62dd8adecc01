/**
 * A caller's bad deadline, attempt timeout or endpoint list is a usage error
 * (TinyKvError INVALID_ARGUMENT naming the option and the value), raised
 * before anything is sent — never an internal assertion from the retry loop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../../mod.ts";
import { ClientConnection } from "../../src/client/connection.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { CLIENT_TIMEOUT_MS_MAX } from "../../src/limits.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { FakeNode, leaderWithStore } from "./fake_node.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const BAD = [0, -1, -0.5, 0.5, 1.5, NaN, Infinity, -Infinity, CLIENT_TIMEOUT_MS_MAX + 1];

function isUsageError(option: string, value: number) {
  return (err: unknown) => {
    assert.ok(err instanceof TinyKvError, String(err));
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.equal(err.outcomeUnknown, false);
    assert.ok(err.message.startsWith(`${option} must be`), err.message);
    assert.ok(err.message.endsWith(`got ${value}`), err.message);
    return true;
  };
}

test("client options: a deadline or attempt timeout that is not a positive integer is refused", () => {
  const p = getPlatform();
  const base = { endpoints: ["127.0.0.1:1"], net: p.net, clock: p.clock, seed: 1 };
  for (const value of BAD) {
    assert.throws(
      () => new TinyKvClient({ ...base, deadlineMs: value }),
      isUsageError("deadlineMs", value),
    );
    assert.throws(() => connect({ ...base, deadlineMs: value }), isUsageError("deadlineMs", value));
    assert.throws(
      () => connect({ ...base, attemptTimeoutMs: value }),
      isUsageError("attemptTimeoutMs", value),
    );
  }
  connect({ ...base, deadlineMs: 1, attemptTimeoutMs: CLIENT_TIMEOUT_MS_MAX }).close();
});

test("client options: an empty endpoint list is a usage error, not an assertion", () => {
  assert.throws(() => connect({ endpoints: [] }), (err: unknown) => {
    assert.ok(err instanceof TinyKvError, String(err));
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.match(err.message, /at least one endpoint/);
    return true;
  });
});

test("client options: a call with a bad timeout is refused before it is sent", async () => {
  const node = await new FakeNode(leaderWithStore(new Map(), [])).start();
  const p = getPlatform();
  const conn = await ClientConnection.open(p.net, p.clock, node.address);
  try {
    for (const value of [0, -5, NaN, Infinity]) {
      await assert.rejects(
        conn.call({ case: "status", value: {} }, { timeoutMs: value }),
        isUsageError("timeoutMs", value),
      );
    }
    // A fractional timeout is fine here: the client passes what is left of its deadline.
    const ok = await conn.call({ case: "get", value: { key: new Uint8Array([1]) } }, {
      timeoutMs: 2500.5,
    });
    assert.equal(ok.body.case, "get");
    assert.equal(node.requests.length, 1, "only the good call reached the node");
  } finally {
    conn.close();
    await node.stop();
  }
});

test("client options: the shortest deadline still makes one attempt on a slow clock", async () => {
  const node = await new FakeNode(leaderWithStore(new Map(), [])).start();
  const p = getPlatform();
  // Every reading is 5 ms later: the 1 ms deadline has passed before the first attempt.
  let skew = 0;
  const clock = {
    nowMs: () => p.clock.nowMs() + (skew += 5),
    setTimeout: (fn: () => void, ms: number) => p.clock.setTimeout(fn, ms),
    clearTimeout: (id: number) => p.clock.clearTimeout(id),
    wallMs: () => p.clock.wallMs(),
  };
  const client = new TinyKvClient({
    endpoints: [node.address],
    net: p.net,
    clock,
    seed: 1,
    deadlineMs: 1,
  });
  try {
    // The one attempt has the deadline's 1 ms: on a loaded machine its answer may come later,
    // and the call then fails; either way exactly one request reached the node.
    const got = await client.get("k").then((v) => ({ v }), (err: unknown) => ({ err }));
    if ("err" in got) assert.match(String(got.err), /deadline|in time/);
    else assert.equal(got.v, undefined);
    for (let i = 0; i < 200 && node.requests.length === 0; i++) await sleep(10);
    assert.equal(node.requests.length, 1);
  } finally {
    client.close();
    await node.stop();
  }
});
