/**
 * Two wiped placement voters rebuild outside the placement group (bootstrap.ts), yet each still
 * takes the other for a voter. A request one of them forwards must not be forwarded back by the
 * other: before the fix the two passed one timestamps request to and fro without end, each hop
 * a new request that outlived its sender's timeout (the whole-node simulator's out-of-memory
 * seeds with region splitting).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";
import type { PlacementNode } from "../../../src/server/placement/placement_node.ts";
import { ServiceError } from "../../../src/server/kv_service.ts";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";

/** How long the test waits for requests still travelling (loopback hops take a millisecond). */
const SETTLE_MS = 500;

function placementOf(c: TestCluster, id: number): PlacementNode {
  const s = c.servers.get(id);
  if (s === undefined) throw new Error(`node ${id} is not running`);
  return s.node.raft.placement;
}

/** Deletes everything in a node's data directory except IDENTITY: it restarts rebuilding. */
function wipeKeepingIdentity(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name !== "IDENTITY") fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

describe("placement requests between two non-members", () => {
  let c: TestCluster;
  before(async () => {
    c = await startCluster(3, 20, undefined, {
      // No heartbeat during the test but the one at start: the requests counted below are the
      // ones the test sends.
      placement: { heartbeatMs: 60_000 },
    });
    for (const id of [1, 2]) {
      await c.stop(id);
      wipeKeepingIdentity(c.dirs.get(id) ?? "");
    }
    for (const id of [1, 2]) await c.start(id);
    // Each node heartbeats once as it starts (heartbeat_sender.ts): that one ends first.
    for (let i = 0; i < 500; i++) {
      const settled = [1, 2].every((id) => {
        const n = placementOf(c, id).heartbeats.counts;
        return n.answered + n.failed >= 1;
      });
      if (settled) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  after(async () => await c.close());

  // Node 3, the one member left (no quorum), waits its request timeout (5 s) for a placement
  // leader before it answers (leader_wait.ts): the refusal counted here is node 2's, at once.
  it("refuses a forwarded-to non-member at once instead of forwarding it back", {
    timeout: 30_000,
  }, async () => {
    const one = placementOf(c, 1);
    const two = placementOf(c, 2);
    assert.equal(one.member, false);
    assert.equal(two.member, false);
    assert.equal(one.leaderId, 0);
    const sentBefore = { one: one.client.counts.sent, two: two.client.counts.sent };
    await assert.rejects(
      one.timestamps(1),
      (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE,
    );
    // Node 1 asked the two voters it knows (2, then 3); node 2 forwarded nothing of it.
    assert.equal(one.client.counts.sent - sentBefore.one, 2);
    assert.equal(two.client.counts.sent - sentBefore.two, 0);
    // Let any request still travelling arrive: none may come back to node 2 and go out again.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    assert.equal(two.client.counts.sent - sentBefore.two, 0);
  });
});
