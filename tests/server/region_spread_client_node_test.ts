/**
 * One client against four nodes that each hold only some regions (region_spread_helpers.ts).
 *
 * A region that leaves a node and comes back is a new hosted region there, with its own pending
 * proposals: the node must propose its writes through the new one. It kept the path (proposals
 * and forwarder) made for the old one, so once it led the region again every write of the
 * region's keys through that node was proposed, applied, and never answered ("no response ... in
 * time" at the client, on every try). Placement moves replicas back onto nodes they were removed
 * from (balance, and above all the merge checker's alignments), so a delete through one client
 * after the regions spread and shrank hit it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StepOrder } from "../../src/placement/operator_step.ts";
import type { Step } from "../../src/placement/operator.ts";
import { containsKey } from "../../src/region/descriptor.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { TestCluster } from "./cluster_helpers.ts";
import { until } from "./region_split_helpers.ts";
import { splitRegions, spreadCluster, voters } from "./region_spread_helpers.ts";

/** Node `id`'s hosted region `region`. */
function hosted(c: TestCluster, id: number, region: number) {
  return c.servers.get(id)?.node.local.host.region(region);
}

function leaderOf(c: TestCluster, region: number): number {
  for (const [id, s] of c.servers) {
    if (s.node.local.host.region(region)?.group.rawNode.isLeader) return id;
  }
  return 0;
}

/**
 * Gives `step` to the region's leader, as placement would with a heartbeat's answer; none while
 * the region elects one (the caller asks again: CI once saw region 2 between leaders here).
 */
function order(c: TestCluster, region: number, step: Step): void {
  const lead = leaderOf(c, region);
  const r = hosted(c, lead, region);
  if (r === undefined) return;
  const o: StepOrder = {
    regionId: region,
    epoch: r.kv.descriptor.epoch,
    step,
    term: r.group.rawNode.term,
  };
  c.servers.get(lead)?.node.local.operators.receive([o], []);
}

/** Runs `step` (given again while not done: an order waits out a change under way) until `done`. */
async function run(c: TestCluster, region: number, step: Step, what: string, done: () => boolean) {
  await until(what, () => {
    if (!done()) order(c, region, step);
    return done();
  }, 30_000);
}

test("spread regions: a region that left a node and came back is written through it", {
  timeout: 180_000,
}, async () => {
  const { c, written } = await spreadCluster(3);
  try {
    // A region, one of its voters that does not lead it, and one of its keys.
    const region = splitRegions(c).find((d) =>
      [...written.keys()].some((k) => containsKey(d, utf8(k)))
    );
    if (region === undefined) throw new Error("no split region holds a key");
    const id = region.id;
    const node = voters(region).find((n) => n !== leaderOf(c, id)) ?? 0;
    const k = [...written.keys()].find((k) => containsKey(region, utf8(k))) ?? "";
    const one = c.client([node]);
    await one.put(k, "before"); // the node routes the region's write: it makes its path
    // Placement plans nothing more (its orders come with the heartbeats' answers): the test
    // moves the replica itself.
    for (const s of c.servers.values()) s.node.raft.placement.heartbeats.stop();
    await new Promise((r) => setTimeout(r, 500)); // answers on their way land (bounded wait)
    await run(c, id, { kind: "remove", node }, `node ${node} leaves region ${id}`, () => {
      const d = hosted(c, leaderOf(c, id), id)?.kv.descriptor;
      const local = c.servers.get(node)?.node.local;
      if (d === undefined || d.replicas.some((p) => p.nodeId === node)) return false;
      // Placement's tombstone, once the voters applied it (the node keeps its replica till then).
      const applied = (n: number) => hosted(c, n, id)?.kv.descriptor.epoch.confVer;
      if (voters(d).every((n) => applied(n) === d.epoch.confVer)) {
        local?.operators.receive([], [{ regionId: id, confVer: d.epoch.confVer }]);
      }
      return local?.removal.pending === 0 && local.host.region(id) === undefined;
    });
    await run(c, id, { kind: "add-learner", node }, `node ${node} back in region ${id}`, () => {
      return hosted(c, node, id) !== undefined;
    });
    await run(c, id, { kind: "promote", promote: node, demote: 0 }, "a voter again", () => {
      const d = hosted(c, leaderOf(c, id), id)?.kv.descriptor;
      return d !== undefined && voters(d).includes(node);
    });
    await run(c, id, { kind: "transfer-leader", to: node }, `node ${node} leads`, () => {
      return leaderOf(c, id) === node;
    });
    // It proposes the region's writes itself now, and answers them.
    await one.put(k, "after");
    assert.equal(fromUtf8(await one.get(k) ?? new Uint8Array(0)), "after");
    assert.equal(await one.delete(k), true);
    assert.equal(await c.client().get(k), undefined);
  } finally {
    await c.close();
  }
});
