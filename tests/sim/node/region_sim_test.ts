/**
 * The whole-node simulation with regions splitting (docs/simulation.md "With regions"): nodes
 * with a 4 KiB split size under faults that wipe a node (its regions come back as replicas
 * created from peers' messages and filled by images) and change membership (every region
 * follows region 1). Every check that holds with regions must pass. `deno task sim:regions`
 * runs many more seeds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FaultKind } from "../../../src/sim/fault_kinds.ts";
import { runSeed } from "../../../src/sim/run_seed.ts";

const SPLIT_BYTES = 4096;

/** Seeds that pass on both runners, and the fault kind each is here for. */
const SEEDS: { seed: number; kind: FaultKind }[] = [
  { seed: 15, kind: "wipe-rejoin" }, // a wiped node gets its regions back from their leaders
  { seed: 23, kind: "membership" }, // a node removed and added back in every region
];

for (const { seed, kind } of SEEDS) {
  test(`whole-node sim with regions: seed ${seed} passes every check that holds`, async () => {
    const r = await runSeed({ seed, regionSplitBytes: SPLIT_BYTES, trace: true });
    const replay = `./tinykv sim --seed ${seed} --region-split-bytes ${SPLIT_BYTES} --trace`;
    assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
    assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
    assert.ok(r.faults[kind] > 0, `seed ${seed}: no ${kind} fault`);
    assert.ok(r.revisions?.ok === true && r.revisions.placed > 100, "key revision order checked");
    assert.ok(r.ops.ok > 500, `seed ${seed}: only ${r.ops.ok} operations succeeded`);
    const splits = r.trace.lines().filter((l) => l.includes("region.split parent=")).length;
    assert.ok(splits >= 5, `seed ${seed}: only ${splits} split applies`);
  });
}
