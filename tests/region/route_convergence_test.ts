/**
 * The route cache's promise (src/region/region_map.ts): however late and in
 * whatever order region reports arrive, the map never holds overlapping
 * entries and ends with exactly the newest descriptors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  initialRegion,
  mergeDescriptors,
  type RegionDescriptor,
  splitDescriptor,
} from "../../src/region/descriptor.ts";
import { disjoint, RegionMap } from "../../src/region/region_map.ts";
import { createPrng } from "../../src/util/prng.ts";

const ids = (rs: readonly RegionDescriptor[]) => rs.map((r) => r.id);

/** A random history of splits, merges and membership changes, every descriptor it produced. */
function history(seed: number, steps: number) {
  const prng = createPrng(seed);
  let live = [initialRegion([1, 2, 3])];
  const all: RegionDescriptor[] = [...live];
  let nextId = 2;
  for (let s = 0; s < steps; s++) {
    const i = prng.int(live.length);
    const r = live[i];
    const op = prng.int(5); // splits 3 in 5, merges 1, membership changes 1
    let made: RegionDescriptor[];
    if (op <= 2) {
      const key = new Uint8Array([prng.int(256), prng.int(256)]);
      try {
        made = splitDescriptor(r, key, nextId);
        nextId++;
      } catch {
        continue; // the key fell outside: no split this step
      }
      live.splice(i, 1, ...made);
    } else if (op === 3 && i + 1 < live.length) {
      made = [mergeDescriptors(r, live[i + 1])];
      live.splice(i, 2, ...made);
    } else {
      const replicas = [...r.replicas, { nodeId: 10 + s, role: "learner" as const }];
      made = [{ ...r, replicas, epoch: { ...r.epoch, confVer: r.epoch.confVer + 1 } }];
      live = live.map((x) => (x === r ? made[0] : x));
    }
    all.push(...made);
  }
  return { prng, live, all };
}

test("region map: reports in any order converge to the newest descriptors (seeded)", () => {
  let manyRegions = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const { prng, live, all } = history(seed, 60);
    if (live.length >= 4) manyRegions++;
    const shuffled = [...all];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = prng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const map = new RegionMap();
    for (const r of shuffled) {
      map.update(r);
      assert.ok(disjoint(map.all()), `seed ${seed}: entries overlap`);
    }
    assert.deepEqual(ids(map.all()), ids(live), `seed ${seed}`);
    assert.deepEqual(map.all(), live, `seed ${seed}`);
    assert.equal(map.firstGap(), undefined, `seed ${seed}`);
  }
  assert.ok(manyRegions >= 10, `only ${manyRegions} histories ended with 4+ regions`);
});
