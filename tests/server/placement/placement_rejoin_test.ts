/**
 * A placement voter that lost its disk gets region 0 back (src/server/placement/
 * placement_rejoin.ts): rebuilt with only its IDENTITY left, it holds no region 0; the placement
 * leader's messages make it add an empty replica, the leader's snapshot (the placement image)
 * fills it, and once it has caught up it votes again. Then the group commits with the other
 * original voter down: before the fix the wiped voter stayed out of the group for good, and the
 * two left of three could not lose one more. A node that is no placement voter never creates
 * region 0 from a message.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";
import type { PlacementNode } from "../../../src/server/placement/placement_node.ts";
import { PLACEMENT_REJOIN_MARKER } from "../../../src/server/placement/placement_rejoin.ts";
import { PLACEMENT_REGION } from "../../../src/server/placement/placement_options.ts";
import { MessageType } from "../../../src/raft/core/messages.ts";

function placementOf(c: TestCluster, id: number): PlacementNode {
  const s = c.servers.get(id);
  if (s === undefined) throw new Error(`node ${id} is not running`);
  return s.node.raft.placement;
}

/** Polls `check` every 20 ms, at most 500 times (10 s); returns its first defined value. */
async function waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `f`, tried again on a failure every 100 ms, at most 50 times. */
async function retried<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0;; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function leaderId(c: TestCluster): number | undefined {
  for (const id of c.servers.keys()) {
    const p = placementOf(c, id);
    if (p.leader !== undefined && p.state.bootstrapped) return id;
  }
  return undefined;
}

/** Deletes everything in a node's data directory except IDENTITY: it restarts rebuilding. */
function wipeKeepingIdentity(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name !== "IDENTITY") fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

describe("a wiped placement voter gets region 0 back", () => {
  let c: TestCluster;
  let lead = 0, wiped = 0, other = 0;
  before(async () => {
    // Four nodes: the placement voters are 1–3, node 4 is none; region 1 keeps a quorum
    // with one voter down and another rebuilding.
    c = await startCluster(4, 20, 20, { placement: { heartbeatMs: 30 } });
    lead = await waitFor("a placement leader", () => leaderId(c));
    await placementOf(c, lead).timestamps(1);
    [wiped, other] = [1, 2, 3].filter((id) => id !== lead);
    await c.stop(wiped);
    wipeKeepingIdentity(c.dirs.get(wiped) ?? "");
    await c.start(wiped);
  });
  after(async () => await c.close());

  it("is given region 0 by the leader, filled by its image, and votes once caught up", async () => {
    const p = await waitFor("region 0 back on the wiped voter", () => {
      const p = placementOf(c, wiped);
      return p.member && !p.rejoin.catchingUp ? p : undefined;
    });
    assert.equal(p.rejoin.counts.created, 1);
    assert.equal(p.d.driver.regionNode(PLACEMENT_REGION)?.suppressVotes, false);
    const dir = path.join(c.dirs.get(wiped) ?? "", "placement");
    assert.ok(!fs.existsSync(path.join(dir, PLACEMENT_REJOIN_MARKER)), "marker removed");
    assert.ok(fs.readdirSync(dir).some((f) => f.startsWith("snap-")), "its image on disk");
    // Its state is the leader's: byte-identical images once both applied one index.
    const leader = placementOf(c, lead);
    await waitFor("one applied index", () => {
      const a = leader.state.appliedIndex, b = p.state.appliedIndex;
      return a === b && a > 0 ? true : undefined;
    });
    assert.deepEqual(p.state.image(), leader.state.image());
  });

  it("commits with the other original voter down", async () => {
    const before = await retried(() => placementOf(c, lead).timestamps(1));
    await c.stop(other);
    // Region 0 now has two of its three voters, one of them the rejoined one: a quorum. A
    // request that meets a change of leader is retried, as a client does.
    let last = before.first;
    for (const id of [lead, wiped, 4, wiped]) {
      const r = await retried(() => placementOf(c, id).timestamps(3));
      assert.ok(r.first > last, `node ${id}: ${r.first} after ${last}`);
      last = r.first + r.count - 1;
    }
    const ids = await retried(() => placementOf(c, wiped).allocateIds(2));
    assert.ok(ids > 0);
    assert.ok(leaderId(c) === lead || leaderId(c) === wiped);
  });

  it("resumes the catch-up after a restart that interrupted it (the marker)", async () => {
    // A restart between the image and the catch-up: the marker is there, region 0 in the log.
    // The other voter back first: a voter catching up does not vote, so the group needs both
    // others to elect a leader it can catch up from.
    // (Bun may refuse to listen again at once on a port just closed: a start is retried.)
    await retried(() => c.start(other));
    await c.stop(wiped);
    const marker = path.join(c.dirs.get(wiped) ?? "", "placement", PLACEMENT_REJOIN_MARKER);
    fs.writeFileSync(marker, "test\n");
    await retried(() => c.start(wiped));
    const p = placementOf(c, wiped);
    assert.equal(p.member, true);
    assert.equal(p.rejoin.counts.created, 0, "region 0 opened from the log, not recreated");
    await waitFor("the resumed catch-up", () => p.rejoin.counts.caughtUp === 1 ? true : undefined);
    assert.equal(p.rejoin.catchingUp, false);
    assert.equal(p.d.driver.regionNode(PLACEMENT_REGION)?.suppressVotes, false);
    assert.ok(!fs.existsSync(marker));
  });

  it("never creates region 0 on a node that is no placement voter", async () => {
    const p = placementOf(c, 4);
    assert.equal(p.member, false);
    const term = c.servers.get(lead)?.node.raft.driver.region(PLACEMENT_REGION)?.rawNode.term ?? 1;
    for (const type of [MessageType.Heartbeat, MessageType.App]) {
      p.seen(
        {
          type,
          from: lead,
          to: 4,
          term,
          commit: 1,
          context: new Uint8Array(),
          sentTick: 0,
          entries: [],
          index: 1,
          logTerm: 1,
        } as Parameters<PlacementNode["seen"]>[0],
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(p.member, false);
    assert.equal(p.d.driver.region(PLACEMENT_REGION), undefined);
    assert.equal(p.rejoin.counts.created, 0);
  });
});
