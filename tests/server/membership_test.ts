/**
 * Membership changes on an in-process cluster over real sockets and files:
 * a new node joins as a learner, catches up by snapshot and is promoted; the
 * leader removes itself by handing off; a change that would leave no
 * reachable quorum is refused; restarted nodes keep members added later.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function voters(c: TestCluster, id: number): number[] {
  const s = c.servers.get(id)?.node.status();
  return (s?.members ?? []).filter((m) => !m.learner).map((m) => m.id).sort();
}

test("membership: a joining node catches up by snapshot, is promoted, and serves", async () => {
  const c = await startCluster(3, 20, 50);
  try {
    const client = c.client();
    for (let i = 0; i < 150; i++) await client.put(`k${i}`, `v${i}`);
    const address = await c.startJoining(4);
    const joining = c.servers.get(4)?.node;
    assert.equal(joining?.status().members.length, 0, "a joining node starts with no members");
    const members = await client.addMember(4, address);
    assert.deepEqual(members.map((m) => [m.id, m.learner]).sort(), [
      [1, false],
      [2, false],
      [3, false],
      [4, false],
    ]);
    assert.equal(members.find((m) => m.id === 4)?.address, address);
    // The log was compacted past the start, so the state arrived as a snapshot.
    await until("node 4 applies the data", () => (joining?.kv.appliedIndex ?? 0) > 150);
    assert.equal(
      fromUtf8(joining?.kv.get(new TextEncoder().encode("k7"))?.value ?? new Uint8Array()),
      "v7",
    );
    for (const id of [1, 2, 3, 4]) {
      await until(`node ${id} sees 4 voters`, () => voters(c, id).length === 4);
    }
    // Every node knows node 4's address from the replicated address book.
    for (const id of [1, 2, 3]) {
      const m = c.servers.get(id)?.node.status().members.find((x) => x.id === 4);
      assert.equal(m?.address, address);
    }
    // Adding it again with the same address is a no-op; with another address it is refused.
    await client.addMember(4, address);
    await assert.rejects(
      client.addMember(4, "127.0.0.1:1"),
      (e: unknown) => e instanceof TinyKvError && e.code === "FAILED_PRECONDITION",
    );
    const via4 = c.client([4]);
    await via4.put("through-4", "yes");
    assert.equal(fromUtf8((await via4.get("through-4")) ?? new Uint8Array()), "yes");
  } finally {
    await c.close();
  }
});

test("membership: a quorum-losing change is refused; removing the leader hands off", async () => {
  const c = await startCluster(3, 20);
  try {
    const client = c.client();
    await client.put("before", "1");
    const first = await c.leader();
    const [down, up] = [1, 2, 3].filter((id) => id !== first);
    // With one follower down, removing the other would leave {leader, down}: no quorum.
    await c.stop(down);
    // The guard counts a voter heard from in the last election timeout (10 ticks of
    // 20 ms): give the leader time to notice that `down` went silent.
    await new Promise((r) => setTimeout(r, 500));
    await assert.rejects(
      client.removeMember(up),
      (e: unknown) =>
        e instanceof TinyKvError && e.code === "FAILED_PRECONDITION" && /quorum/.test(e.message),
    );
    await assert.rejects(
      client.removeMember(99),
      (e: unknown) =>
        e instanceof TinyKvError && e.code === "FAILED_PRECONDITION" &&
        /not a member/.test(e.message),
    );
    await c.start(down);
    const leader = await c.leader();
    const members = await client.removeMember(leader);
    assert.equal(members.some((m) => m.id === leader), false);
    const rest = [1, 2, 3].filter((id) => id !== leader);
    for (const id of rest) {
      await until(`node ${id} drops ${leader}`, () => voters(c, id).length === 2);
    }
    const remaining = c.client(rest);
    await remaining.put("after", "2");
    assert.equal(fromUtf8((await remaining.get("before")) ?? new Uint8Array()), "1");
  } finally {
    await c.close();
  }
});

// `member remove` of a placement voter answers once the placement group no longer counts it (up
// to PLACEMENT_GROUP_LEAVE_WAIT_MS), longer than bun's default 5 s per test run alone.
test("membership: a restarted node reaches members added after its --peers", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, 20);
  try {
    const client = c.client();
    const address = await c.startJoining(4);
    await client.addMember(4, address);
    // Replace node 3 (as if its machine died): remove it; 1, 2 and 4 remain.
    await c.stop(3);
    await client.removeMember(3);
    await client.put("k", "v");
    // Restart every remaining node with its original --peers (which do not list 4).
    for (const id of [1, 2, 4]) await c.stop(id);
    for (const id of [1, 2, 4]) await c.start(id);
    const after = c.client([1, 2]);
    await after.put("k2", "v2");
    assert.equal(fromUtf8((await after.get("k")) ?? new Uint8Array()), "v");
    await until(
      "node 4 applies k2",
      () => c.servers.get(4)?.node.kv.get(new TextEncoder().encode("k2")) !== undefined,
    );
    const s = c.servers.get(1)?.node.status();
    assert.deepEqual(s?.members.map((m) => m.id).sort(), [1, 2, 4]);
  } finally {
    await c.close();
  }
});

test("membership: a node joining with --peers that omit the leader learns its address", async () => {
  const c = await startCluster(3, 20);
  try {
    const client = c.client();
    await client.put("k", "v");
    const leader = await c.leader();
    const other = [1, 2, 3].find((id) => id !== leader) ?? 0;
    // Node 4 knows only `other` (and itself): the leader's address reaches it in Hello.
    const address = await c.startJoining(4, [other]);
    await client.addMember(4, address);
    const joined = c.servers.get(4)?.node;
    await until(
      "node 4 applies k",
      () => joined?.kv.get(new TextEncoder().encode("k")) !== undefined,
    );
    assert.equal(
      joined?.status().members.find((m) => m.id === leader)?.address,
      c.peers.get(leader),
    );
  } finally {
    await c.close();
  }
});

test("membership: a node that lost its disk is removed and added back under its old id", async () => {
  const c = await startCluster(3, 20, 30);
  try {
    const client = c.client();
    for (let i = 0; i < 60; i++) await client.put(`k${i}`, `v${i}`);
    const leader = await c.leader();
    const lost = leader === 3 ? 2 : 3;
    await c.stop(lost);
    await client.removeMember(lost);
    await client.put("after-removal", "1");
    // The replacement disk is empty: it starts in join mode (new address, same id).
    const address = await c.startJoining(lost);
    const members = await client.addMember(lost, address);
    assert.equal(members.find((m) => m.id === lost)?.learner, false);
    const back = c.servers.get(lost)?.node;
    const key = new TextEncoder().encode("after-removal");
    await until(
      "the re-added node applies the latest write",
      () => back?.kv.get(key) !== undefined,
    );
    assert.equal(
      fromUtf8(back?.kv.get(new TextEncoder().encode("k59"))?.value ?? new Uint8Array()),
      "v59",
    );
  } finally {
    await c.close();
  }
});
