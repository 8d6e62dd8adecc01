/**
 * Seeds of the whole-node simulation (docs/simulation.md) until every fault
 * kind has occurred, on 3 and 5 nodes: each must pass every check.
 * `./tinykv sim --seeds N` runs many more.
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

/** The rarer kinds wait for a whole cluster; seeds that use only them see each. */
const RARE: FaultKind[] = ["corrupt-file", "wipe-rejoin", "membership", "pause"];

/** Seeds with node count and kinds (undefined: as `tinykv sim` draws them), in order. */
const CANDIDATES: { seed: number; nodes?: number; faults?: FaultKind[] }[] = [
  { seed: 45, nodes: 3, faults: [...FAULT_KINDS] },
  // Since session 29 (the RESP bank's accounts in two key areas) the seeds below corrupt no file.
  { seed: 11, nodes: 3, faults: RARE },
  // With the Redis operations in the workload, these two cover every kind on both sizes.
  { seed: 6, nodes: 5, faults: RARE },
  { seed: 3, nodes: 3, faults: RARE },
  { seed: 3, nodes: 5 },
  { seed: 46, nodes: 3, faults: [...FAULT_KINDS] },
  { seed: 4, nodes: 3, faults: RARE },
  // The draws shift with the code: since session 15 the seeds above no longer wipe a node.
  { seed: 13, nodes: 3, faults: RARE },
  { seed: 16, nodes: 3, faults: RARE },
];

test("whole-node sim: seeds covering every fault kind pass every check", async () => {
  const total = zeroCounts();
  const sizes = new Set<number>();
  for (const { seed, nodes, faults } of CANDIDATES) {
    const covered = FAULT_KINDS.every((k) => total[k] > 0) && sizes.size === 2;
    if (covered) break;
    const r = await runSeed({ seed, nodes, faults });
    const replay = `./tinykv sim --seed ${seed}${nodes ? ` --nodes ${nodes}` : ""}` +
      `${faults ? ` --faults ${faults.join(",")}` : ""} --trace`;
    assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
    assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
    // A floor that proves the seed did real work (a fifth of the protobuf clients' operations
    // are now multi-key transactions, and heavy-fault seeds get few through).
    assert.ok(r.ops.ok > 200, `seed ${seed}: only ${r.ops.ok} operations succeeded`);
    for (const k of FAULT_KINDS) total[k] += r.faults[k];
    sizes.add(r.options.nodes);
  }
  const missing = FAULT_KINDS.filter((k) => total[k] === 0);
  assert.deepEqual(missing, [], `fault kinds that never occurred: ${describeCounts(total)}`);
  assert.deepEqual([...sizes].sort(), [3, 5]);
});
