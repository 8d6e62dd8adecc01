/**
 * Three real nodes in one process on loopback (real sockets, real files):
 * replication, follower forwarding, linearizable reads on every node,
 * failover and restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";

const text = (v: Uint8Array | undefined) => v === undefined ? undefined : fromUtf8(v);

test(
  "cluster: writes through any node are read back from every node",
  { timeout: 60_000 },
  async () => {
    const c = await startCluster(3);
    try {
      const leader = await c.leader();
      const followers = [...c.peers.keys()].filter((id) => id !== leader);
      const viaLeader = c.client([leader]);
      assert.ok(await viaLeader.put("a", "1") > 1);
      // A client that only knows a follower: the follower forwards the write.
      const viaFollower = c.client([followers[0]]);
      await viaFollower.put("b", "2");
      for (const id of c.peers.keys()) {
        const only = c.client([id]);
        assert.equal(text(await only.get("a")), "1", `node ${id}`);
        assert.equal(text(await only.get("b")), "2", `node ${id}`);
      }
      const status = c.servers.get(leader)?.node.status();
      assert.equal(status?.members.length, 3);
    } finally {
      await c.close();
    }
  },
);

test("cluster: the leader stops, a new one is elected, no acknowledged write is lost", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const client = c.client();
    const acked: string[] = [];
    for (let i = 0; i < 50; i++) {
      await client.put(`k${i}`, `v${i}`);
      acked.push(`k${i}`);
    }
    const old = await c.leader();
    await c.stop(old);
    const started = Date.now();
    const next = await c.leader();
    assert.notEqual(next, old);
    const failoverMs = Date.now() - started;
    for (let i = 50; i < 80; i++) {
      await client.put(`k${i}`, `v${i}`);
      acked.push(`k${i}`);
    }
    await c.start(old);
    for (const key of acked) assert.equal(text(await client.get(key)), `v${key.slice(1)}`);
    const rejoined = c.client([old]);
    assert.equal(text(await rejoined.get("k79")), "v79", "the restarted node caught up");
    assert.ok(failoverMs < 5000, `failover took ${failoverMs} ms`);
  } finally {
    await c.close();
  }
});

test("cluster: all nodes restart with all data present", { timeout: 60_000 }, async () => {
  const c = await startCluster(3);
  try {
    const client = c.client();
    await client.batch(
      Array.from(
        { length: 100 },
        (_, i) => ({ type: "put" as const, key: `r${i}`, value: `${i}` }),
      ),
    );
    for (const id of [...c.peers.keys()]) await c.stop(id);
    for (const id of [...c.peers.keys()]) await c.start(id);
    await c.leader();
    const page = await client.scan({ prefix: "r", limit: 1000 });
    assert.equal(page.items.length, 100);
  } finally {
    await c.close();
  }
});

test(
  "cluster: a wiped follower catches up by snapshot while writes continue",
  { timeout: 60_000 },
  async () => {
    const c = await startCluster(3, 20, 25);
    try {
      const client = c.client();
      for (let i = 0; i < 10; i++) await client.put(`s${i}`, `${i}`);
      const leader = await c.leader();
      const victim = [...c.peers.keys()].find((id) => id !== leader) ?? 0;
      await c.stop(victim);
      for (let i = 10; i < 200; i++) await client.put(`s${i}`, `${i}`);
      c.wipe(victim);
      await c.start(victim);
      const more = (async () => {
        for (let i = 200; i < 260; i++) await client.put(`s${i}`, `${i}`);
      })();
      await more;
      const node = c.servers.get(victim)?.node;
      const target = c.servers.get(leader)?.node.status().commitIndex ?? 0;
      for (let i = 0; i < 200 && (node?.kv.appliedIndex ?? 0) < target; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok((node?.engine.installed ?? 0) >= 1, "the follower installed a snapshot");
      const local = c.client([victim]);
      for (const i of [0, 9, 10, 150, 199, 259]) {
        assert.equal(
          text(await local.get(`s${i}`, { consistency: "serializable" })),
          `${i}`,
          `s${i}`,
        );
      }
      const snapIndex =
        c.servers.get(leader)?.node.logStore.group(1).storage.snapshot().metadata.index ?? 0;
      assert.ok(snapIndex > 100, `the leader compacted its log (snapshot at ${snapIndex})`);
    } finally {
      await c.close();
    }
  },
);

test("cluster: admin transfer-leader moves leadership; admin snapshot compacts the log", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, undefined, undefined, { adminToken: "admin-secret" });
  const admin = {
    method: "POST",
    headers: { Authorization: "Bearer admin-secret", "X-TinyKV-Admin": "1" },
  };
  try {
    const client = c.client();
    for (let i = 0; i < 20; i++) await client.put(`t${i}`, "x");
    const leader = await c.leader();
    const target = [...c.peers.keys()].find((id) => id !== leader) ?? 0;
    const http = c.servers.get(leader)?.httpPort;
    const url = `http://127.0.0.1:${http}/admin/transfer-leader/${target}`;
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const refused = await fetch(url, { method: "POST", headers: form, body: "x=1" });
    assert.equal(refused.status, 401, "no credential, on the real server");
    assert.match((await refused.json()).error, /admin token required/);
    assert.equal(await c.leader(), leader, "the refused request moved nothing");
    const res = await fetch(url, admin);
    assert.deepEqual(await res.json(), { ok: true, result: { leader: target } });
    assert.equal(await c.leader(), target);
    const snap = await fetch(
      `http://127.0.0.1:${c.servers.get(target)?.httpPort}/admin/snapshot`,
      admin,
    );
    const body = await snap.json();
    assert.equal(body.ok, true);
    assert.ok(body.result.index >= 21, JSON.stringify(body));
    assert.equal(
      c.servers.get(target)?.node.logStore.group(1).storage.snapshot().metadata.index,
      body.result.index,
    );
    assert.equal(text(await client.get("t19")), "x");
  } finally {
    await c.close();
  }
});
