/**
 * Seeded runs of the placement scheduler against the model cluster: nodes die,
 * come back, join and drain, and regions split, while the scheduler works.
 * No step may leave a region without a voter; a step its leader refuses (it
 * would cost the live majority, as when a node died before its heartbeats
 * stopped counting) is retried later; once the churn stops, every region ends
 * healthy and drained nodes hold nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng } from "../../src/util/prng.ts";
import { ModelCluster } from "./model_cluster.ts";

const ZONES = ["a", "b", "c"];

function churn(seed: number): ModelCluster {
  const prng = createPrng(seed);
  const c = new ModelCluster(8_000, {
    maxOperators: 1 + prng.int(8),
    maxMovesPerNode: 1 + prng.int(3),
  });
  let nextNode = 1;
  for (; nextNode <= 4; nextNode++) c.addNode(nextNode, ZONES[nextNode % 3]);
  c.addRegions(8, [1, 2, 3]);
  let nextRegion = 100;
  for (let t = 0; t < 150; t++) {
    const roll = prng.int(100);
    const nodes = [...c.zones.keys()];
    const pick = nodes[prng.int(nodes.length)];
    if (roll < 8 && c.dead.size < 1) c.dead.add(pick);
    else if (roll < 14) c.dead.delete(pick);
    else if (roll < 16 && nextNode < 9) c.addNode(nextNode++, ZONES[prng.int(3)]);
    else if (roll < 17) c.view.drain(pick);
    else if (roll < 22) {
      const r = c.regions[prng.int(c.regions.length)];
      const key = new Uint8Array([prng.int(256), prng.int(256)]);
      try {
        c.split(r.d.id, key, nextRegion);
        nextRegion++;
      } catch {
        // the key fell outside the region: no split this tick
      }
    }
    c.tick();
  }
  c.dead.clear();
  return c;
}

test("placement seeds: under churn no region loses its voters, and every region heals", () => {
  let refused = 0;
  for (let seed = 1; seed <= 15; seed++) {
    const c = churn(seed);
    c.run(250);
    refused += c.refused;
    assert.deepEqual(c.violations, [], `seed ${seed}`);
    const usableZones = new Set(
      [...c.zones].filter(([id]) => c.view.isUsable(id, c.nowMs)).map(([, z]) => z),
    );
    const usable = [...c.zones.keys()].filter((id) => c.view.isUsable(id, c.nowMs)).length;
    const want = Math.min(3, usable);
    assert.deepEqual(c.unhealthy(want, usableZones.size), [], `seed ${seed}`);
    for (const id of c.zones.keys()) {
      if (c.view.node(id)?.draining === true) assert.equal(c.replicasOn(id), 0, `seed ${seed}`);
    }
  }
  assert.ok(refused > 0, "the seeds should include steps a leader refuses");
});
