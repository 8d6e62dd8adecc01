/**
 * Users on the protobuf port (docs/protocol.md, "Authentication"), on a real node: a missing,
 * invalid or expired token, a wrong password and a user without permission are each refused
 * with their own error for every kind of request, and the right credential is served.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../../src/client/connection.ts";
import { TinyKvError } from "../../../src/client/errors.ts";
import { TinyKvClient } from "../../../src/client/tinykv_client.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { ADMIN_TOKEN, type AuthCluster, startAuthCluster, TOKEN_TTL_MS } from "./auth_node.ts";

let node: AuthCluster;
before(async () => {
  node = await startAuthCluster(1);
  await node.leaderIndex();
});
after(() => node.close());

const b = (s: string) => utf8(s);

/** One request of every kind, on keys under app/ (alice may, reader may read). */
const EVERY_KIND: Record<string, RequestBody> = {
  get: { case: "get", value: { key: b("app/a") } },
  put: { case: "put", value: { key: b("app/a"), value: b("1") } },
  scan: { case: "scan", value: { prefix: b("app/") } },
  txn: { case: "txn", value: { success: [{ op: { case: "put", value: { key: b("app/t") } } }] } },
  watch: { case: "watchCreate", value: { key: b("app/"), rangeEnd: b("app0") } },
  lease: { case: "leaseGrant", value: { ttlSeconds: 30 } },
  status: { case: "status", value: {} },
  snapshot: { case: "snapshot", value: {} },
  compact: { case: "compact", value: { revision: 1n } },
};

async function codes(token: string): Promise<Record<string, ErrorCode | undefined>> {
  const conn = await node.connection(0);
  conn.authToken = token;
  const out: Record<string, ErrorCode | undefined> = {};
  for (const [kind, body] of Object.entries(EVERY_KIND)) {
    out[kind] = (await conn.call(body, { timeoutMs: 3000 })).error?.code;
  }
  return out;
}

const every = (code: ErrorCode) =>
  Object.fromEntries(Object.keys(EVERY_KIND).map((k) => [k, code]));

test("proto auth: no token, a forged token and an expired token are refused for every request", async () => {
  assert.deepEqual(await codes(""), every(ErrorCode.UNAUTHENTICATED));
  const forged = `tkv1:admin:${Date.now() + 60_000}:${"00".repeat(32)}`;
  assert.deepEqual(await codes(forged), every(ErrorCode.UNAUTHENTICATED));
  const conn = await node.connection(0, "admin", "adminpass");
  const token = conn.authToken;
  assert.match(token, /^tkv1:admin:/);
  node.skew.ms = TOKEN_TTL_MS + 1000;
  try {
    assert.deepEqual(await codes(token), every(ErrorCode.TOKEN_EXPIRED));
  } finally {
    node.skew.ms = 0;
  }
});

test("proto auth: a wrong password is UNAUTHENTICATED with a clear message", async () => {
  for (const [user, password] of [["alice", "wrong"], ["mallory", "alicepass"]]) {
    const c = node.client(user, password);
    await assert.rejects(c.put("app/x", "1"), (err: unknown) => {
      assert.ok(err instanceof TinyKvError);
      assert.equal(err.code, "UNAUTHENTICATED");
      assert.match(err.message, new RegExp(`as '${user}' at .*wrong user name or password`));
      return true;
    });
  }
  assert.throws(() => node.client("alice"), /user needs a password/);
});

test("proto auth: with the right credential every kind of request is served", async () => {
  const alice = node.client("alice", "alicepass");
  const w = alice.watch({ prefix: "app/w/" });
  const updates = w[Symbol.asyncIterator]();
  await alice.put("app/w/1", "v1");
  const first = await updates.next();
  assert.equal(fromUtf8(first.value.events[0].value), "v1");
  w.cancel();
  await alice.put("app/a", "1");
  assert.equal(fromUtf8((await alice.get("app/a"))!), "1");
  assert.deepEqual((await alice.scan({ prefix: "app/" })).items.map((i) => fromUtf8(i.key)), [
    "app/a",
    "app/w/1",
  ]);
  const r = await alice.txn({ success: [{ put: { key: "app/t", value: "t" } }] });
  assert.equal(r.succeeded, true);
  const lease = await alice.grant(30);
  await alice.put("app/leased", "x", { lease: lease.id });
  assert.equal((await alice.timeToLive(lease.id, { keys: true })).keys.length, 1);
  await alice.revoke(lease.id);
  assert.equal(await alice.get("app/leased"), undefined);
  assert.equal((await alice.status()).role, "leader");
});

async function deniedWith(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TinyKvError, String(err));
    assert.equal(err.code, "PERMISSION_DENIED", err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

test("proto auth: a user without permission is refused (reads, writes, ranges, txn, watch, leases, admin)", async () => {
  const alice = node.client("alice", "alicepass");
  const reader = node.client("reader", "readerpass");
  await alice.put("app/r", "1");
  await deniedWith(reader.put("app/r", "2"), /user 'reader': no write permission/);
  assert.equal(fromUtf8((await reader.get("app/r"))!), "1");
  await deniedWith(alice.put("public/x", "1"), /no write permission/);
  await deniedWith(alice.get("public/x"), /no read permission/);
  await deniedWith(reader.scan({}), /covering the whole range/);
  await deniedWith(reader.scan({ start: "app/", end: "app1" }), /whole range/);
  assert.equal((await reader.scan({ start: "app/", end: "app0" })).items.length > 0, true);
  await deniedWith(reader.txn({ success: [{ put: { key: "app/r", value: "2" } }] }), /write/);
  await deniedWith(
    alice.txn({ success: [{ range: { key: "a", rangeEnd: "\0" } }] }),
    /covering a range/,
  );
  const ranged = await reader.txn({ success: [{ range: { key: "app/", rangeEnd: "app0" } }] });
  assert.equal(ranged.succeeded, true);
  const w = reader.watch({ prefix: "" });
  await deniedWith(w[Symbol.asyncIterator]().next(), /watched keys/);
  const lease = await alice.grant(30);
  await alice.put("app/held", "x", { lease: lease.id });
  await deniedWith(reader.revoke(lease.id), /every key attached to lease/);
  assert.deepEqual((await reader.timeToLive(lease.id, { keys: true })).keys.length, 1);
  const other = node.client("default", "defaultpass");
  assert.deepEqual((await other.timeToLive(lease.id, { keys: true })).keys, [], "keys filtered");
  await alice.revoke(lease.id);
  await deniedWith(alice.snapshot(), /admin right/);
  await deniedWith(alice.compact(1), /admin right/);
});

test("proto auth: admins, and the admin token alone, run admin requests", async () => {
  const admin = node.client("admin", "adminpass");
  assert.ok((await admin.snapshot()) > 0);
  await admin.put("anything/at/all", "1");
  const tokenClient = new TinyKvClient({ ...node.client().options, adminToken: ADMIN_TOKEN });
  try {
    assert.ok((await tokenClient.snapshot()) > 0);
    await assert.rejects(tokenClient.get("app/a"), { code: "UNAUTHENTICATED" });
  } finally {
    tokenClient.close();
  }
});

test("proto auth: the client logs in again once when its token expires", async () => {
  const alice = node.client("alice", "alicepass");
  await alice.put("app/e", "1");
  node.skew.ms = TOKEN_TTL_MS + 1000;
  try {
    // A watch created with the expired token reconnects, logs in and is created.
    const w = alice.watch("app/e");
    const updates = w[Symbol.asyncIterator]();
    const next = updates.next();
    for (let i = 0; i < 100 && w.nextRevision === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(fromUtf8((await alice.get("app/e"))!), "1");
    await alice.put("app/e", "2");
    assert.equal(fromUtf8((await next).value.events[0].value), "2");
    w.cancel();
  } finally {
    node.skew.ms = 0;
  }
  assert.equal(fromUtf8((await alice.get("app/e"))!), "2");
});
