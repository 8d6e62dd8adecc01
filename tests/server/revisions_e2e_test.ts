/**
 * Revisions, transactions and compaction end to end: the client library and
 * the CLI against a 3-node in-process cluster (real Raft, real state machine),
 * through a follower as well as the leader.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { startCluster } from "./cluster_helpers.ts";

const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : fromUtf8(v));

function isCode(code: string, check?: (err: TinyKvError) => void) {
  return (err: unknown) => {
    assert.ok(err instanceof TinyKvError, String(err));
    assert.equal(err.code, code, err.message);
    check?.(err);
    return true;
  };
}

test("e2e: revisions, txn branches, reads at a past revision, compaction, CAS", async () => {
  const c = await startCluster(3);
  try {
    const kv = c.client();
    await kv.put("a", "1");
    const first = await kv.getEntry("a");
    assert.ok(first !== undefined);
    assert.equal(first.version, 1);
    assert.equal(first.createRevision, first.modRevision);
    await kv.put("a", "2");
    const second = await kv.getEntry("a");
    assert.ok(second !== undefined && second.modRevision > first.modRevision);
    assert.deepEqual([second.version, second.createRevision], [2, first.createRevision]);

    // Both branches of a transaction, each at one revision.
    const won = await kv.txn({
      compare: [{ key: "a", target: "modRevision", result: "=", number: second.modRevision }],
      success: [{ put: { key: "a", value: "3" } }, { put: { key: "b", value: "x" } }],
      failure: [{ range: { key: "a" } }],
    });
    assert.equal(won.succeeded, true);
    assert.ok(won.revision > second.modRevision);
    const a3 = await kv.getEntry("a"), b = await kv.getEntry("b");
    assert.deepEqual([a3?.modRevision, b?.modRevision], [won.revision, won.revision]);
    const lost = await kv.txn({
      compare: [{ key: "a", target: "value", result: "=", value: "2" }],
      success: [{ put: { key: "a", value: "never" } }],
      failure: [{ range: { key: "a" } }, { delete: { key: "b", prevKv: true } }],
    });
    assert.equal(lost.succeeded, false);
    const [range, deleted] = lost.results;
    assert.ok("range" in range && "delete" in deleted);
    assert.deepEqual(range.range.kvs.map((e) => text(e.value)), ["3"]);
    assert.equal(deleted.delete.deleted, 1);
    assert.equal(text(deleted.delete.prevKvs[0]?.value), "x");
    assert.equal(await kv.get("b"), undefined);
    const now = await kv.scan({ prefix: "" });
    assert.ok(now.revision >= lost.revision, `a current scan's revision ${now.revision}`);

    // Reads at a past revision, through a follower too.
    const follower = [1, 2, 3].find((id) => c.servers.get(id)?.node.status().role !== "leader");
    const viaFollower = c.client([follower ?? 1]);
    for (const client of [kv, viaFollower]) {
      assert.equal(text(await client.get("a", { revision: first.modRevision })), "1");
      assert.equal(text(await client.get("a", { revision: second.modRevision })), "2");
      assert.equal(text(await client.get("b", { revision: won.revision })), "x");
      const old = await client.scan({ prefix: "", revision: won.revision });
      assert.deepEqual(old.items.map((e) => `${text(e.key)}=${text(e.value)}`), ["a=3", "b=x"]);
      assert.equal(old.revision, won.revision);
      // Paging at a revision: the cursor resumes in the same past state.
      const p1 = await client.scan({ prefix: "", revision: won.revision, limit: 1 });
      const cursor = p1.nextCursor;
      const p2 = await client.scan({ prefix: "", revision: won.revision, limit: 1, cursor });
      assert.deepEqual([...p1.items, ...p2.items].map((e) => text(e.key)), ["a", "b"]);
    }

    // FUTURE_REVISION, then compaction: below it COMPACTED, at and above it still readable.
    await assert.rejects(
      kv.get("a", { revision: lost.revision + 1000 }),
      isCode("FUTURE_REVISION"),
    );
    assert.ok((await kv.compact(won.revision)) >= lost.revision, "the store revision after");
    await assert.rejects(
      kv.getEntry("a", { revision: first.modRevision }),
      isCode("COMPACTED", (e) => assert.equal(e.compactedRevision, won.revision)),
    );
    assert.equal(text(await kv.get("a", { revision: won.revision })), "3");

    // The old compare-and-set still works next to transactions.
    assert.equal(await kv.compareAndSet("a", "3", "4"), true);
    assert.equal(await kv.compareAndSet("a", "3", "5"), false);
    assert.equal(text(await kv.get("a")), "4");
    await assert.rejects(kv.put("c", "v", { lease: 424242 }), isCode("LEASE_NOT_FOUND"));
    assert.equal(await kv.get("c"), undefined);
    // A put on a granted lease attaches the key (grant goes straight to the node here: the
    // client's lease calls are another part of the coordination API).
    const leader = c.servers.get(await c.leader())?.node;
    await leader?.execute({ body: { case: "leaseGrant", value: { ttlSeconds: 600, id: 77n } } });
    await kv.put("c", "v", { lease: 77 });
    assert.equal((await kv.getEntry("c"))?.lease, 77);
  } finally {
    await c.close();
  }
});

test("e2e: tinykv txn, get --json and compact through the CLI", async () => {
  const c = await startCluster(1);
  try {
    const endpoints = [...c.peers.values()].join(",");
    const cli = async (args: string[], stdin = "") => {
      const h = captureHost();
      const host = Object.assign(h, { readStdin: () => Promise.resolve(utf8(stdin)) });
      const code = await runCli([...args, "--endpoints", endpoints], host, getPlatform);
      return { code, out: h.out, err: h.err };
    };
    const txn = {
      compare: [{ key: "lock", target: "version", result: "=", number: 0 }],
      success: [{ put: { key: "lock", value: "me" } }],
      failure: [{ range: { key: "lock" } }],
    };
    const won = await cli(["txn"], JSON.stringify(txn));
    assert.equal(won.code, 0, won.err);
    const result = JSON.parse(won.out);
    assert.equal(result.succeeded, true);
    const lost = JSON.parse((await cli(["txn"], JSON.stringify(txn))).out);
    assert.equal(lost.succeeded, false);
    assert.equal(lost.results[0].range.kvs[0].value, "me");
    const got = await cli(["get", "lock", "--json"]);
    assert.deepEqual(JSON.parse(got.out), {
      key: "lock",
      value: "me",
      createRevision: result.revision,
      modRevision: result.revision,
      version: 1,
      lease: 0,
      expireAtMs: 0,
    });
    const before = Date.now();
    assert.equal((await cli(["put", "ttl", "v", "--ttl", "60"])).code, 0);
    const ttl = JSON.parse((await cli(["get", "ttl", "--json"])).out);
    assert.ok(ttl.expireAtMs >= before + 60_000 - 50 && ttl.expireAtMs <= Date.now() + 60_000);
    assert.equal((await cli(["put", "lock", "again"])).code, 0);
    const compacted = await cli(["compact", String(result.revision + 1)]);
    assert.equal(compacted.code, 0, compacted.err);
    const old = await cli(["get", "lock", "--revision", String(result.revision)]);
    assert.equal(old.code, 1);
    assert.match(old.err, /compacted/);
    const future = await cli(["compact", "999999"]);
    assert.equal(future.code, 1);
  } finally {
    await c.close();
  }
});
