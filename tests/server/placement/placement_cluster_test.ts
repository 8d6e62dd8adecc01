/**
 * The placement service in a running 3-node cluster (in process, loopback): region 0 elects a
 * leader on the first three nodes, every node's heartbeat is recorded with its zone, a stopped
 * node's heartbeat grows old and the replica checker plans its replacement, a drain is recorded
 * and planned, bad requests get clear errors, and timestamps stay strictly increasing across a
 * change of placement leader.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";
import type { PlacementNode } from "../../../src/server/placement/placement_node.ts";
import { ServiceError } from "../../../src/server/kv_service.ts";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { PlacementScheduler } from "../../../src/placement/scheduler.ts";
import { initialRegion } from "../../../src/region/descriptor.ts";
import { runCli } from "../../../src/cli/main.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { captureHost } from "../../helpers/capture_host.ts";

const HEARTBEAT_MS = 30;
/** Short enough that a stopped node is down within the test. */
const REPLACE_TIMEOUT_MS = 1_200;
const ADMIN_TOKEN = "placement-test-token";

async function cli(...args: string[]) {
  const host = captureHost({});
  const code = await runCli(args, host, getPlatform);
  return { code, out: host.out, err: host.err };
}

function placementOf(c: TestCluster, id: number): PlacementNode {
  const s = c.servers.get(id);
  if (s === undefined) throw new Error(`node ${id} is not running`);
  return s.node.raft.placement;
}

/** Polls `check` every 20 ms, at most 300 times (6 s); returns its first defined value. */
async function waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function leaderOf(c: TestCluster): PlacementNode | undefined {
  for (const id of c.servers.keys()) {
    const p = placementOf(c, id);
    if (p.leader !== undefined && p.state.bootstrapped) return p;
  }
  return undefined;
}

/**
 * A scheduler over a leader's replicated view with no operators yet (as a new leader's is):
 * the live one keeps an operator per region until it finishes, and nothing executes them yet.
 */
function freshScheduler(p: PlacementNode): PlacementScheduler {
  return new PlacementScheduler(p.state.view, {
    replicas: 3,
    maxOperators: 8,
    maxMovesPerNode: 4,
    operatorTimeoutMs: 60_000,
    regionTolerance: 2,
    regionsCheckedPerTick: 100,
  });
}

describe("placement service in a 3-node cluster", () => {
  let c: TestCluster;
  let address4 = "";
  before(async () => {
    c = await startCluster(3, 20, undefined, (id) => ({
      placement: {
        zone: `zone-${id}`,
        heartbeatMs: HEARTBEAT_MS,
        replaceTimeoutMs: REPLACE_TIMEOUT_MS,
      },
      adminToken: ADMIN_TOKEN,
    }));
    await c.leader();
    // A fourth node waiting to join: no replica of region 1 nor of region 0, but it heartbeats
    // (to the placement voters). Not a member yet, it takes no replica (ClusterView `isMember`).
    address4 = await c.startJoining(4);
  });
  after(async () => await c.close());

  it("elects a placement leader and records every node's heartbeat with its zone", async () => {
    const leader = await waitFor("a placement leader", () => leaderOf(c));
    assert.ok(leader.member);
    const nodes = await waitFor("four heartbeats", () => {
      const ns = leader.state.view.nodes();
      // Nodes 1–3 hold region 1's records, so their engines are not empty.
      const used = ns.every((n) => n.id === 4 || n.usedBytes > 0);
      return ns.length === 4 && ns.every((n) => n.zone !== "") && used ? ns : undefined;
    });
    assert.deepEqual(nodes.map((n) => n.zone), ["zone-1", "zone-2", "zone-3", "zone-4"]);
    assert.equal(placementOf(c, 4).member, false);
    // Region 1 is reported by its leader; region 0 never is (it is no key range).
    const regions = await waitFor("region 1's report", () => {
      const r = leader.state.view.region(1);
      return r !== undefined && r.leader !== 0 ? leader.state.view.regions() : undefined;
    });
    assert.deepEqual(regions.map((r) => r.descriptor.id), [1]);
  });

  it("answers timestamps on every node, strictly increasing", async () => {
    let last = 0;
    for (const id of [1, 2, 3, 4, 1, 4]) {
      const r = await placementOf(c, id).timestamps(5);
      assert.equal(r.count, 5);
      assert.ok(r.first > last, `node ${id}: ${r.first} after ${last}`);
      last = r.first + r.count - 1;
    }
  });

  it("batches the timestamps asked for in one turn into one request", async () => {
    const p = placementOf(c, 4); // not a member: each batch is one request to the leader
    const sent = p.client.counts.sent;
    const all = await Promise.all(Array.from({ length: 50 }, () => p.nextTimestamp()));
    assert.deepEqual(all, [...all].sort((a, b) => a - b));
    assert.equal(new Set(all).size, 50);
    assert.ok(p.client.counts.sent - sent <= 2, `${p.client.counts.sent - sent} requests`);
  });

  it("refuses bad requests with clear errors", async () => {
    const p = placementOf(c, 2);
    await assert.rejects(
      p.handle({ kind: "timestamps", count: 0 }),
      (e: unknown) => e instanceof Error && /timestamp count/.test(e.message),
    );
    const leader = await waitFor("a placement leader", () => leaderOf(c));
    await assert.rejects(
      leader.handle({ kind: "drain", nodeId: 99 }),
      (e: unknown) =>
        e instanceof ServiceError && e.code === ErrorCode.INVALID_ARGUMENT &&
        /node 99 is unknown/.test(e.message),
    );
    // A heartbeat with a bad field, or reporting region 0, changes nothing.
    const hb = p.heartbeats.heartbeat();
    for (
      const bad of [
        { ...hb, zone: "z".repeat(65) },
        { ...hb, nodeId: 0 },
        {
          ...hb,
          reports: [{
            descriptor: { ...initialRegion([2]), id: 0 },
            leader: 2,
            sizeBytes: 0,
            writesPerSec: 0,
            caughtUp: [],
          }],
        },
      ]
    ) {
      await assert.rejects(
        p.handle({ kind: "heartbeat", heartbeat: bad }),
        (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.INVALID_ARGUMENT,
      );
    }
    assert.equal(leader.state.view.node(2)?.zone, "zone-2");
  });

  it("keeps timestamps increasing across a change of placement leader", async () => {
    const before = await waitFor("a placement leader", () => leaderOf(c));
    const r1 = await before.timestamps(3);
    const oldId = before.d.o.id;
    await c.stop(oldId);
    const after = await waitFor("a new placement leader", () => leaderOf(c));
    assert.notEqual(after.d.o.id, oldId);
    const r2 = await after.timestamps(3);
    assert.ok(r2.first > r1.first + r1.count - 1, `${r2.first} after ${r1.first}`);
    // The stopped node's heartbeat grows old: once past the replace timeout it is down, and
    // the replica checker (a fresh scheduler over the replicated view, as a new leader's is)
    // plans to replace its replica of region 1 on node 4.
    const ages: number[] = [];
    await waitFor("node down", () => {
      const n = after.state.view.node(oldId);
      ages.push(after.state.appliedMs - (n?.lastHeartbeatMs ?? 0));
      return after.state.view.isDown(oldId, after.state.appliedMs) ? true : undefined;
    });
    assert.ok(ages[ages.length - 1] > ages[0], `age grew: ${ages[0]} .. ${ages.at(-1)}`);
    // Node 4 heartbeats but is no member (region 1 does not list it): no replica goes there, so
    // no move can replace the one on the down node.
    assert.equal(after.state.view.isDown(4, after.state.appliedMs), false);
    assert.equal(after.state.view.isMember(4), false);
    const fresh = freshScheduler(after);
    fresh.tick(after.state.appliedMs);
    const op = fresh.operators().find((o) => o.regionId === 1);
    assert.ok(op?.steps.every((st) => !("node" in st) || st.node !== 4) ?? true, "none to node 4");
    await c.start(oldId);
    await waitFor(
      "the restarted node's heartbeat",
      () => after.state.view.isDown(oldId, after.state.appliedMs) ? undefined : true,
    );
  });
  it("records a drain and plans moving the node's replicas off", async () => {
    // Node 4 joins the cluster now (a learner of region 1, then a voter): once region 1's report
    // lists it, it is a member, and where the drained node's replica can go.
    const endpoints = [1, 2, 3].map((id) => c.peers.get(id) ?? "").join(",");
    const add = await cli(
      "member",
      "add",
      "4",
      address4,
      "--endpoints",
      endpoints,
      "--admin-token",
      ADMIN_TOKEN,
    );
    assert.equal(add.code, 0, add.err);
    const voter4 = (p: PlacementNode) =>
      p.state.view.isMember(4) &&
      p.state.view.region(1)?.descriptor.replicas.some((r) => r.nodeId === 4 && r.role === "voter");
    const leader = await waitFor("node 4 a voter of region 1", () => {
      const l = leaderOf(c);
      return l !== undefined && voter4(l) ? l : undefined;
    });
    await leader.handle({ kind: "drain", nodeId: 3 });
    assert.equal(leader.state.view.node(3)?.draining, true);
    const scheduler = freshScheduler(leader);
    scheduler.tick(leader.state.appliedMs);
    const op = scheduler.operators().find((o) => o.regionId === 1);
    assert.equal(op?.reason, "node 3 draining");
    // Node 4 holds region 1 now (every member does): node 3's replica just leaves.
    assert.ok(op?.steps.some((st) => st.kind === "remove" && st.node === 3));
    for (const id of [1, 2, 3]) {
      // Node 3's replica of the placement group may be dropped first (its voter moves to node 4,
      // and a replica left out drops once every voter applied that, caught up or not: CI, loaded,
      // once waited here for good); the drain is then the others' to see.
      await waitFor(
        `node ${id} sees the drain`,
        () => {
          const p = placementOf(c, id);
          const dropped = id === 3 && p.group.counts.dropped > 0;
          return p.state.view.node(3)?.draining === true || dropped ? true : undefined;
        },
      );
    }
  });

  it("drains through the CLI and HTTP, and shows placement in status and /placement", async () => {
    // Node 3 drains and node 4 is a member now: region 0's voter on node 3 moves to node 4
    // (placement_group_plan.ts), which may move its leader and drop node 3's state. Settled first.
    const settled = (p: PlacementNode) => {
      const cs = p.d.driver.region(0)?.rawNode.status().confState;
      return cs !== undefined && cs.votersOutgoing.length === 0 &&
        [...cs.voters].sort().join(",") === "1,2,4";
    };
    const leader = await waitFor("region 0 on nodes 1, 2 and 4", () => {
      const l = leaderOf(c);
      return l !== undefined && settled(l) ? l : undefined;
    });
    const follower = [1, 2, 3].find((id) => id !== leader.d.o.id && c.servers.has(id)) ?? 0;
    const endpoint = c.peers.get(follower) ?? "";
    // A follower answers NOT_LEADER with the leader's address; the CLI follows it.
    const drained = await cli(
      "node",
      "drain",
      "4",
      "--endpoints",
      endpoint,
      "--admin-token",
      ADMIN_TOKEN,
    );
    assert.equal(drained.code, 0, drained.err);
    assert.match(drained.out, /node 4 is draining/);
    assert.equal(leader.state.view.node(4)?.draining, true);
    const noToken = await cli("node", "drain", "4", "--endpoints", endpoint);
    assert.equal(noToken.code, 1);
    assert.match(noToken.err, /admin token/);
    const unknown = await cli(
      "node",
      "drain",
      "42",
      "--endpoints",
      endpoint,
      "--admin-token",
      ADMIN_TOKEN,
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /node 42 is unknown/);
    assert.equal((await cli("node", "drain", "x", "--endpoints", endpoint)).code, 2);
    const status = await cli("status", "--endpoints", endpoint);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, new RegExp(`placement leader ${leader.d.o.id}; nodes 1 \\(zone-1\\)`));
    assert.match(status.out, /4 \(zone-4\) [\d.]+s draining/);
    // HTTP: the follower's admin route drains through the leader; /placement on the leader.
    const http = (id: number) => `http://127.0.0.1:${c.servers.get(id)?.httpPort}`;
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "x-tinykv-admin": "1" };
    const post = await fetch(`${http(follower)}/admin/drain/2`, { method: "POST", headers: auth });
    assert.equal(post.status, 200, await post.clone().text());
    assert.deepEqual(await post.json(), { ok: true, result: { draining: 2 } });
    assert.equal(leader.state.view.node(2)?.draining, true);
    const view = await (await fetch(`${http(leader.d.o.id)}/placement`)).json();
    assert.equal(view.isLeader, true);
    assert.deepEqual(view.nodes.map((n: { id: number }) => n.id), [1, 2, 3, 4]);
    assert.deepEqual(view.regions.map((r: { id: number }) => r.id), [1]);
    assert.equal(view.operators.executed, true);
    assert.ok(view.tso.requests > 0 || view.tso.bound > 0);
    const st = await (await fetch(`${http(follower)}/status`)).json();
    assert.equal(st.placement.leader, leader.d.o.id);
    const metrics = await (await fetch(`${http(leader.d.o.id)}/metrics`)).text();
    assert.match(metrics, /^tinykv_placement_is_leader 1$/m);
    assert.match(metrics, /^tinykv_placement_nodes_draining [1-9]/m);
  });
});
