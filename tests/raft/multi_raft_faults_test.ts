/**
 * The multi-region driver under seeded faults: lost and reordered batches,
 * nodes that crash (losing what they did not fsync) and restart, while
 * proposals keep arriving. Afterwards every region elects, commits a last
 * value, and all replicas hold the same applied sequence (with and without
 * quiescence; with log compaction, so followers also catch up from images).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

const REGIONS = 8;
const IDS = Array.from({ length: REGIONS }, (_, i) => i + 1);

async function faultRun(seed: number, quiesce: boolean, snapshotEntries?: number): Promise<void> {
  const o = { nodes: 3, regions: REGIONS, seed, loss: 0.1, quiesce, snapshotEntries };
  const c = await MultiCluster.start(o);
  const prng = createPrng(seed);
  let n = 0;
  for (let t = 0; t < 150; t++) {
    if (prng.chance(0.4)) {
      const r = IDS[prng.int(REGIONS)];
      const lead = c.leaderOf(r);
      if (lead !== 0) c.driver(lead).propose(r, utf8(`r${r}#${n++}`));
    }
    if (c.down.size === 0 && prng.chance(0.03)) {
      const victim = 1 + prng.int(3);
      c.kill(victim);
      c.worlds[victim - 1].fs.crash("lose");
    } else if (c.down.size > 0 && prng.chance(0.1)) {
      await c.restart([...c.down][0], false);
    }
    await c.tick();
  }
  for (const down of [...c.down]) await c.restart(down, false);
  await c.until(() => IDS.every((r) => c.leaderOf(r) !== 0), 300, `seed ${seed}: leaders`);
  for (const r of IDS) c.driver(c.leaderOf(r)).propose(r, utf8(`r${r}#last`));
  const done = () =>
    IDS.every((r) => [1, 2, 3].every((x) => c.sm(x, r)?.applied.at(-1) === `r${r}#last`));
  await c.until(done, 300, `seed ${seed}: last values`);
  for (const r of IDS) {
    const want = c.sm(1, r)?.applied;
    assert.deepEqual(c.sm(2, r)?.applied, want, `seed ${seed} region ${r} node 2`);
    assert.deepEqual(c.sm(3, r)?.applied, want, `seed ${seed} region ${r} node 3`);
    assert.equal(new Set(want).size, want?.length, "no value applied twice");
  }
}

test("multi raft under loss, crashes and restarts: replicas agree (seeds 1-6)", async () => {
  for (let seed = 1; seed <= 6; seed++) await faultRun(seed, seed % 2 === 0);
});

test("multi raft under faults with compaction: snapshots and strict rounds (seeds 7-9)", async () => {
  // A restarted node's state machines reopen at their last flush or restore (ListSm.reopened).
  for (let seed = 7; seed <= 9; seed++) await faultRun(seed, seed % 2 === 0, 4);
});
