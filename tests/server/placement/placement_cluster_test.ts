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

const HEARTBEAT_MS = 30;
/** Short enough that a stopped node is down within the test. */
const REPLACE_TIMEOUT_MS = 1_200;

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
  before(async () => {
    c = await startCluster(3, 20, undefined, (id) => ({
      placement: {
        zone: `zone-${id}`,
        heartbeatMs: HEARTBEAT_MS,
        replaceTimeoutMs: REPLACE_TIMEOUT_MS,
      },
    }));
    await c.leader();
    // A fourth node waiting to join: no replica of region 1 nor of region 0, but it heartbeats
    // (to the placement voters) and is where the scheduler can move replicas to.
    await c.startJoining(4);
  });
  after(async () => await c.close());

  it("elects a placement leader and records every node's heartbeat with its zone", async () => {
    const leader = await waitFor("a placement leader", () => leaderOf(c));
    assert.ok(leader.member);
    const nodes = await waitFor("four heartbeats", () => {
      const ns = leader.state.view.nodes();
      return ns.length === 4 && ns.every((n) => n.zone !== "") ? ns : undefined;
    });
    assert.deepEqual(nodes.map((n) => n.zone), ["zone-1", "zone-2", "zone-3", "zone-4"]);
    assert.equal(placementOf(c, 4).member, false);
    assert.ok(nodes.every((n) => n.usedBytes > 0), "used bytes are the engine's");
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
    const fresh = freshScheduler(after);
    fresh.tick(after.state.appliedMs);
    const op = fresh.operators().find((o) => o.regionId === 1);
    assert.equal(op?.reason, `node ${oldId} down`);
    assert.ok(op?.steps.some((st) => st.kind === "add-learner" && st.node === 4));
    await c.start(oldId);
    await waitFor(
      "the restarted node's heartbeat",
      () => after.state.view.isDown(oldId, after.state.appliedMs) ? undefined : true,
    );
  });
  it("records a drain and plans moving the node's replicas off", async () => {
    const leader = await waitFor("a placement leader", () => leaderOf(c));
    await leader.handle({ kind: "drain", nodeId: 3 });
    assert.equal(leader.state.view.node(3)?.draining, true);
    const scheduler = freshScheduler(leader);
    scheduler.tick(leader.state.appliedMs);
    const op = scheduler.operators().find((o) => o.regionId === 1);
    assert.equal(op?.reason, "node 3 draining");
    // Node 3 may lead region 1: then leadership moves first; either way node 4 gets the replica.
    assert.ok(op?.steps.some((st) => st.kind === "add-learner" && st.node === 4));
    for (const id of [1, 2, 3]) {
      await waitFor(
        `node ${id} sees the drain`,
        () => placementOf(c, id).state.view.node(3)?.draining === true ? true : undefined,
      );
    }
  });
});
