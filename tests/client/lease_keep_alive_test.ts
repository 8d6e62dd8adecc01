/**
 * The client's lease keep-alive: sent without a sequence, every third of the
 * TTL, moved to another endpoint when a node is lost, and ended (reported
 * lost) when the cluster answers LEASE_NOT_FOUND.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { FakeNode, type Handler } from "./fake_node.ts";

const platform = getPlatform();

function client(endpoints: string[]): TinyKvClient {
  return new TinyKvClient({
    endpoints,
    net: platform.net,
    clock: platform.clock,
    seed: 3,
    deadlineMs: 3000,
    attemptTimeoutMs: 300,
  });
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), "condition not reached in 3 s");
}

/** A leader that keeps lease 5 (TTL 300 ms) alive until `gone` is set. */
function leaseLeader(state: { gone: boolean; keepAlives: number }): Handler {
  return (req, reply) => {
    if (req.body.case !== "leaseKeepAlive") return;
    assert.equal(req.clientId, 0n, "keep-alives carry no client id");
    assert.equal(req.sequence, 0n, "keep-alives carry no sequence");
    state.keepAlives++;
    if (state.gone || req.body.value.id !== 5n) {
      reply({ error: { code: ErrorCode.LEASE_NOT_FOUND, message: "lease 5 not found" } });
      return;
    }
    reply({
      body: {
        case: "lease",
        value: { lease: { id: 5n, grantedTtlSeconds: 1, remainingMs: 300n } },
      },
    });
  };
}

test("lease keep-alive: repeats, yields each response, and reports the lease lost", async () => {
  const state = { gone: false, keepAlives: 0 };
  const node = await new FakeNode(leaseLeader(state)).start();
  const kv = client([node.address]);
  const handle = kv.keepAlive(5);
  const seen: number[] = [];
  const reading = (async () => {
    for await (const r of handle) seen.push(r.remainingMs);
  })();
  await until(() => state.keepAlives >= 4);
  assert.equal(handle.lost, undefined);
  state.gone = true;
  const lost = await handle.done;
  assert.ok(lost instanceof TinyKvError);
  assert.equal(lost.code, "LEASE_NOT_FOUND");
  await assert.rejects(reading, (err: unknown) => err instanceof TinyKvError);
  assert.ok(seen.length >= 4 && seen.every((ms) => ms === 300), `seen ${seen}`);
  const after = state.keepAlives;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(state.keepAlives, after, "no keep-alive after the lease was lost");
  kv.close();
  await node.stop();
});

test("lease keep-alive: a lost node is replaced by another endpoint", async () => {
  const first = { gone: false, keepAlives: 0 };
  const second = { gone: false, keepAlives: 0 };
  const a = await new FakeNode(leaseLeader(first)).start();
  const b = await new FakeNode(leaseLeader(second)).start();
  const kv = client([a.address, b.address]);
  const handle = kv.keepAlive(5);
  await until(() => first.keepAlives >= 2);
  await a.stop();
  await until(() => second.keepAlives >= 3);
  assert.equal(handle.lost, undefined);
  handle.close();
  assert.equal(await handle.done, undefined);
  const after = second.keepAlives;
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(second.keepAlives <= after + 1, "close() stops the keep-alives");
  kv.close();
  await b.stop();
});

test("lease keep-alive once: an unknown lease is LEASE_NOT_FOUND, not retried", async () => {
  const state = { gone: false, keepAlives: 0 };
  const node = await new FakeNode(leaseLeader(state)).start();
  const kv = client([node.address]);
  await assert.rejects(
    kv.keepAliveOnce(6),
    (err: unknown) => err instanceof TinyKvError && err.code === "LEASE_NOT_FOUND",
  );
  assert.equal(state.keepAlives, 1);
  assert.deepEqual(await kv.keepAliveOnce(5), { id: 5, grantedTtlSeconds: 1, remainingMs: 300 });
  assert.throws(() => kv.keepAlive(-1), (err: unknown) => err instanceof TinyKvError);
  kv.close();
  await node.stop();
});
