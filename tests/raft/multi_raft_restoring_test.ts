/**
 * A received snapshot's image is installed beside the driver's rounds (src/raft/multi/
 * restoring.ts): while one region's install runs, the node's other regions go on committing and
 * applying, and the installing region's marker is saved (and its leader told) only once the
 * image is in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Snapshot } from "../../src/raft/core/messages.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

/** Bounds a wait that, with the install inside a round, would never end. */
function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after 10 s`)), 10_000);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test("multi raft: one region's image install does not hold the node's other regions", async () => {
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 2,
    seed: 21,
    loss: 0,
    quiesce: false,
    snapshotEntries: 5,
  });
  for (const r of [1, 2]) c.driver(1).region(r)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1 && c.leaderOf(2) === 1, 100, "node 1 leads");
  c.kill(3);
  for (let k = 0; k < 12; k++) c.driver(1).propose(1, utf8(`a${k}`));
  await c.until(() => c.sm(2, 1)?.applied.length === 12, 100, "region 1 applied on node 2");
  assert.ok(c.logs[0].group(1).snapshotMarker.index >= 10, "region 1 compacted on node 1");

  // Node 3's region 1 installs its image only when the test lets it.
  const sm = c.sm(3, 1);
  assert.ok(sm !== undefined);
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  let started = 0;
  const restore = sm.restore.bind(sm);
  sm.restore = (s: Snapshot) => {
    started++;
    return gate.then(() => restore(s));
  };
  c.down.delete(3);
  await bounded(
    c.until(() => started === 1, 100, "node 3's install started"),
    "install start",
  );
  const marker = c.logs[2].group(1).snapshotMarker.index;
  for (let k = 0; k < 5; k++) c.driver(1).propose(2, utf8(`b${k}`));
  // With the install inside a round, node 3's driver would wait on it: region 2 would stall.
  await bounded(
    c.until(() => c.sm(3, 2)?.applied.length === 5, 100, "region 2 applied on node 3"),
    "region 2 on node 3",
  );
  assert.equal(c.driver(3).restoringCount, 1, "region 1 still installing");
  assert.equal(c.logs[2].group(1).snapshotMarker.index, marker, "no marker before the image");
  assert.equal(c.driver(1).region(1)?.rawNode.status().progress.get(3)?.state, "snapshot");

  release();
  await c.until(() => c.sm(3, 1)?.applied.length === 12, 100, "region 1 caught up on node 3");
  assert.equal(c.driver(3).restoringCount, 0);
  assert.ok(c.logs[2].group(1).snapshotMarker.index >= 10, "the marker saved after the image");
  assert.deepEqual(c.sm(3, 1)?.applied, c.sm(1, 1)?.applied);
  assert.equal(sm.restores, 1);
  // The region goes on as usual after its install.
  c.driver(1).propose(1, utf8("a12"));
  await c.until(() => c.sm(3, 1)?.applied.length === 13, 100, "region 1 applies after");
});

test("multi raft: a region removed while its image installs leaves once the install settled", async () => {
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 2,
    seed: 22,
    loss: 0,
    quiesce: false,
    snapshotEntries: 5,
  });
  c.driver(1).region(2)?.rawNode.campaign();
  await c.until(() => c.leaderOf(2) === 1, 100, "node 1 leads region 2");
  c.kill(3);
  for (let k = 0; k < 12; k++) c.driver(1).propose(2, utf8(`a${k}`));
  await c.until(() => c.sm(2, 2)?.applied.length === 12, 100, "region 2 applied on node 2");
  const sm = c.sm(3, 2);
  assert.ok(sm !== undefined);
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const restore = sm.restore.bind(sm);
  let started = 0;
  sm.restore = (s: Snapshot) => {
    started++;
    return gate.then(() => restore(s));
  };
  c.down.delete(3);
  await c.until(() => started === 1, 100, "node 3's install started");
  let removed = false;
  const removal = c.driver(3).removeRegions([2]).then(() => removed = true);
  await c.run(3);
  assert.equal(removed, false, "the removal waits for the install");
  release();
  await bounded(removal, "removal");
  assert.equal(c.driver(3).region(2), undefined);
  assert.equal(c.driver(3).restoringCount, 0);
  await c.tick(); // the driver goes on without it
});
