/**
 * What the server node's transport reports to the multi-region driver
 * (driver_reports.ts): a peer lost (every region probes it again) and a
 * region's snapshot outcome; and a compaction whose flush finds the disk full
 * (the engine is the image): the request fails, the driver keeps running, a
 * later compaction succeeds; and compaction by applied bytes (a region's
 * entries stay in memory until it compacts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { NoSpaceError } from "../../src/util/errors.ts";
import { reportSnapshot, reportUnreachable } from "../../src/raft/multi/driver_reports.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

async function elected(c: MultiCluster, regions: number[]): Promise<void> {
  for (const r of regions) c.driver(1).region(r)?.rawNode.campaign();
  await c.until(() => regions.every((r) => c.leaderOf(r) === 1), 100, "n1 leads");
}

function stateOf(c: MultiCluster, region: number, peer: number): string | undefined {
  return c.driver(1).region(region)?.rawNode.status().progress.get(peer)?.state;
}

test("multi reports: an unreachable peer is probed again in every region it is in", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 2, seed: 41, loss: 0, quiesce: false });
  await elected(c, [1, 2]);
  for (const r of [1, 2]) c.driver(1).propose(r, utf8(`x${r}`));
  await c.until(() => [1, 2].every((r) => stateOf(c, r, 2) === "replicate"), 100, "");
  reportUnreachable(c.driver(1), 2);
  for (const r of [1, 2]) assert.equal(stateOf(c, r, 2), "probe", `region ${r}`);
  assert.equal(stateOf(c, 1, 3), "replicate", "another peer is untouched");
  // A snapshot report of a region not on this node is ignored; a failed one probes again.
  reportSnapshot(c.driver(1), 9, 3, false);
  await c.run();
  assert.equal(c.driver(1).failure, undefined);
});

test("multi reports: a flush refused for space fails the compaction, not the driver", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 1, seed: 43, loss: 0, quiesce: false });
  await elected(c, [1]);
  const d = c.driver(1);
  for (let k = 0; k < 5; k++) d.propose(1, utf8(`v${k}`));
  await c.until(() => (c.sm(1, 1)?.applied.length ?? 0) === 5, 100, "applied");
  const sm = c.sm(1, 1);
  assert.ok(sm !== undefined);
  const flush = sm.flush.bind(sm);
  let refusals = 1;
  sm.flush = () => {
    if (refusals-- > 0) throw new NoSpaceError("no space left (test)");
    flush();
  };
  const first = d.compactNow(1);
  await d.runOnce(); // starts the flush (beside the rounds), which fails
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await d.runOnce(); // sees it fail (without a clock the next round retries at once)
  await assert.rejects(first, NoSpaceError);
  assert.equal(d.failure, undefined, "the driver runs on");
  assert.equal(c.logs[0].group(1).snapshotMarker.index, 1, "nothing compacted yet");
  const second = d.compactNow(1);
  await c.run();
  assert.ok((await second) >= 6, "compacted past the writes");
  d.propose(1, utf8("after"));
  await c.until(() => (c.sm(3, 1)?.applied ?? []).includes("after"), 100, "still replicating");
});

test("multi reports: a region compacts after snapshotBytes of applied entries", async () => {
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 2,
    seed: 45,
    loss: 0,
    quiesce: false,
    snapshotEntries: 1000,
    snapshotBytes: 400,
  });
  await elected(c, [1, 2]);
  const d = c.driver(1);
  for (let k = 0; k < 6; k++) d.propose(1, new Uint8Array(100));
  for (let k = 0; k < 6; k++) d.propose(2, new Uint8Array(10));
  await c.until(() => (c.logs[0].group(1).snapshotMarker.index ?? 0) > 1, 100, "compacted");
  assert.equal(c.logs[0].group(2).snapshotMarker.index, 1, "the small region is not compacted");
});

test("multi reports: rounds go on while a compaction's flush runs", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 1, seed: 47, loss: 0, quiesce: false });
  await elected(c, [1]);
  const d = c.driver(1);
  for (let k = 0; k < 3; k++) d.propose(1, utf8(`v${k}`));
  await c.until(() => (c.sm(1, 1)?.applied.length ?? 0) === 3, 100, "applied");
  const sm = c.sm(1, 1);
  assert.ok(sm !== undefined);
  const flush = sm.flush.bind(sm);
  let release = () => {};
  sm.flush = () => new Promise<void>((resolve) => (release = () => resolve(flush())));
  const done = d.compactNow(1);
  await c.run();
  // The engine's flush is slow: writes keep committing and applying meanwhile.
  d.propose(1, utf8("during"));
  await c.until(() => (c.sm(3, 1)?.applied ?? []).includes("during"), 100, "a write commits");
  assert.equal(c.logs[0].group(1).snapshotMarker.index, 1, "not compacted before the flush ends");
  release();
  await c.run();
  const index = await done;
  assert.ok(
    index >= 4 && index < (d.region(1)?.rawNode.appliedIndex ?? 0),
    `compacted at ${index}`,
  );
});
