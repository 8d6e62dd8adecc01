/**
 * Leases on an in-process 3-node cluster (docs/coordination.md, Leases): a
 * key attached to a kept-alive lease survives a leader failover; once its
 * holder stops, the key is deleted within TTL + one election timeout. And
 * the `tinykv lease` commands against the same cluster.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { FAST_ELECTIONS, startCluster } from "./cluster_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The test cluster's longest election timeout (timeouts are drawn from [E, 2E)). */
const ELECTION_MAX_MS = 2 * FAST_ELECTIONS.electionTicks * FAST_ELECTIONS.tickMs;
/** Slack for a loaded test machine: scheduling, the apply, and this test's polling. */
const SLACK_MS = 1500;

async function cli(...args: string[]) {
  const host = captureHost();
  const code = await runCli(args, host, getPlatform);
  return { code, out: host.out, err: host.err };
}

test("leases: a kept-alive key survives a failover; it goes within TTL + an election after", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, FAST_ELECTIONS.tickMs);
  try {
    const kv = c.client();
    const ttlSeconds = 2;
    const lease = await kv.grant(ttlSeconds);
    assert.equal(lease.grantedTtlSeconds, ttlSeconds);
    await kv.put("svc/a", "up", { lease: lease.id });
    const handle = kv.keepAlive(lease.id);
    const oldLeader = await c.leader();
    await c.stop(oldLeader);
    const newLeader = await c.leader();
    assert.notEqual(newLeader, oldLeader);
    // Two TTLs after the failover, the key is still there and the lease still kept.
    await sleep(2 * ttlSeconds * 1000);
    assert.equal(handle.lost, undefined);
    assert.equal(new TextDecoder().decode(await kv.get("svc/a")), "up");
    assert.equal((await kv.timeToLive(lease.id, { keys: true })).keys.length, 1);
    handle.close();
    const stoppedAt = Date.now();
    const bound = ttlSeconds * 1000 + ELECTION_MAX_MS + SLACK_MS;
    let goneAfter = -1;
    while (Date.now() - stoppedAt < bound + 2000) {
      if (await kv.get("svc/a") === undefined) {
        goneAfter = Date.now() - stoppedAt;
        break;
      }
      await sleep(50);
    }
    assert.ok(goneAfter >= 0, "the key was never deleted");
    assert.ok(goneAfter <= bound, `deleted ${goneAfter} ms after the holder stopped`);
    const leaderNow = c.servers.get(await c.leader());
    const metrics = await (await fetch(`http://127.0.0.1:${leaderNow?.httpPort}/metrics`)).text();
    assert.match(metrics, /^tinykv_leases_expired_total\{result="revoked"\} 1$/m);
    await assert.rejects(
      kv.keepAliveOnce(lease.id),
      (err: unknown) => err instanceof TinyKvError && err.code === "LEASE_NOT_FOUND",
    );
  } finally {
    await c.close();
  }
});

test("leases: the tinykv lease commands, through a follower", { timeout: 60_000 }, async () => {
  const c = await startCluster(3, FAST_ELECTIONS.tickMs);
  try {
    const leader = await c.leader();
    const follower = [...c.peers.keys()].find((id) => id !== leader) ?? 0;
    const endpoints = c.peers.get(follower) ?? "";
    const granted = await cli("lease", "grant", "60", "--endpoints", endpoints);
    assert.equal(granted.code, 0, granted.err);
    const id = Number(granted.out.trim());
    assert.ok(Number.isSafeInteger(id) && id > 0, granted.out);
    await c.client([follower]).put("lock/x", "me", { lease: id });
    const list = await cli("lease", "list", "--json", "--endpoints", endpoints);
    assert.equal(list.code, 0, list.err);
    const leases = JSON.parse(list.out);
    assert.equal(leases.length, 1);
    assert.equal(leases[0].id, id);
    assert.equal(leases[0].grantedTtlSeconds, 60);
    const ttl = await cli("lease", "time-to-live", String(id), "--keys", "--endpoints", endpoints);
    assert.equal(ttl.code, 0, ttl.err);
    assert.match(ttl.out, new RegExp(`^lease ${id}: granted 60s, remaining \\d+ms\\nlock/x\\n$`));
    const metrics = await (await fetch(
      `http://127.0.0.1:${c.servers.get(follower)?.httpPort}/metrics`,
    )).text();
    assert.match(metrics, /^tinykv_leases 1$/m);
    assert.match(metrics, /^tinykv_lease_requests_total\{kind="granted"\} 1$/m);
    // keep-alive prints each answer and stops cleanly (exit 0) when interrupted.
    const host = captureHost();
    let interrupt = () => {};
    host.onShutdown = (fn) => (interrupt = fn);
    const running = runCli(
      ["lease", "keep-alive", String(id), "--endpoints", endpoints],
      host,
      getPlatform,
    );
    for (let i = 0; i < 200 && !host.out.includes("kept alive"); i++) await sleep(10);
    interrupt();
    assert.equal(await running, 0, host.err);
    assert.match(host.out, new RegExp(`^lease ${id} kept alive, TTL 60000ms$`, "m"));
    const revoked = await cli("lease", "revoke", String(id), "--endpoints", endpoints);
    assert.equal(revoked.code, 0, revoked.err);
    assert.equal(await c.client().get("lock/x"), undefined);
    const gone = await cli("lease", "keep-alive", String(id), "--endpoints", endpoints);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /is gone/);
    assert.equal((await cli("lease", "frob", "--endpoints", endpoints)).code, 2);
    assert.equal((await cli("lease", "grant", "x", "--endpoints", endpoints)).code, 2);
  } finally {
    await c.close();
  }
});

test("leases: a whole-cluster restart keeps every lease and its keys; each gets a fresh TTL", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, FAST_ELECTIONS.tickMs);
  try {
    const kv = c.client();
    const kept = await kv.grant(60);
    const dropped = await kv.grant(1);
    await kv.put("kept", "1", { lease: kept.id });
    await kv.put("dropped", "1", { lease: dropped.id });
    for (const id of [1, 2, 3]) await c.stop(id);
    for (const id of [1, 2, 3]) await c.start(id);
    await c.leader();
    const after = c.client();
    const status = await after.timeToLive(kept.id, { keys: true });
    assert.equal(status.grantedTtlSeconds, 60);
    assert.ok(status.remainingMs > 50_000, `${status.remainingMs} ms left`);
    assert.deepEqual(status.keys.map((k) => new TextDecoder().decode(k)), ["kept"]);
    assert.equal(new TextDecoder().decode(await after.get("kept")), "1");
    // Nobody keeps the 1 s lease alive: it goes after its fresh TTL from the new leader.
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = await after.get("dropped") === undefined;
      if (!gone) await sleep(50);
    }
    assert.ok(gone, "the lease nobody kept alive expired after the restart");
    assert.deepEqual((await after.leases()).map((l) => l.id), [kept.id]);
  } finally {
    await c.close();
  }
});
