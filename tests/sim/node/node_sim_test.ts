/**
 * A few seeds of the whole-node simulation (docs/simulation.md), chosen so
 * that every fault kind occurs among them, on 3 and 5 nodes. Each must pass
 * every check; `./tinykv sim --seeds N` runs many more.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  describeCounts,
  FAULT_KINDS,
  type FaultKind,
  zeroCounts,
} from "../../../src/sim/fault_kinds.ts";
import { runSeed } from "../../../src/sim/run_seed.ts";

/**
 * Seeds with the node count and fault kinds they run with (undefined: drawn
 * from the seed). The first uses every kind, the second only the rarer ones
 * (they wait for a whole cluster), so each kind occurs; the third is a seed as
 * `tinykv sim` runs it.
 */
const SEEDS: { seed: number; nodes?: number; faults?: FaultKind[] }[] = [
  { seed: 45, nodes: 3, faults: [...FAULT_KINDS] },
  { seed: 3, nodes: 3, faults: ["corrupt-file", "wipe-rejoin", "membership", "pause"] },
  { seed: 3 },
];

test("whole-node sim: seeds covering every fault kind pass every check", async () => {
  const total = zeroCounts();
  const sizes = new Set<number>();
  for (const { seed, nodes, faults } of SEEDS) {
    const r = await runSeed({ seed, nodes, faults });
    const replay = `./tinykv sim --seed ${seed}${nodes ? ` --nodes ${nodes}` : ""}` +
      `${faults ? ` --faults ${faults.join(",")}` : ""} --trace`;
    assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
    assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
    assert.ok(r.ops.ok > 300, `seed ${seed}: only ${r.ops.ok} operations succeeded`);
    for (const k of FAULT_KINDS) total[k] += r.faults[k];
    sizes.add(r.options.nodes);
  }
  const missing = FAULT_KINDS.filter((k) => total[k] === 0);
  assert.deepEqual(missing, [], `fault kinds that never occurred: ${describeCounts(total)}`);
  assert.deepEqual([...sizes].sort(), [3, 5]);
});
