/**
 * The default simulation run: several hundred seeds of 3- and 5-node clusters
 * under faults, each followed by a liveness phase and the linearizability
 * check. More seeds: `deno run -A tests/sim/run_seeds.ts --seeds N`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeOptions, runSeed } from "./vopr.ts";

const SEEDS_PER_BATCH = 100;
const BATCHES = 6;
const TICKS = 800;
const TIMEOUT_MS = 120_000;

async function runBatch(first: number): Promise<void> {
  const failures: string[] = [];
  let ops = 0;
  let crashes = 0;
  let snapshots = 0;
  for (let seed = first; seed < first + SEEDS_PER_BATCH; seed++) {
    const r = await runSeed({ seed, ticks: TICKS });
    ops += r.completedOps;
    crashes += r.stats["crashes"] ?? 0;
    snapshots += r.stats["snapshotsSent"] ?? 0;
    if (!r.ok) {
      failures.push(
        `seed ${seed} (${describeOptions(r.options)}): ${r.error}\n` +
          `  replay: deno run -A tests/sim/run_seeds.ts --seed ${seed} --ticks ${TICKS}`,
      );
    }
  }
  assert.deepEqual(failures, []);
  // The run must actually exercise the system, not pass vacuously.
  assert.ok(ops > SEEDS_PER_BATCH * 50, `only ${ops} client operations completed`);
  assert.ok(crashes > SEEDS_PER_BATCH, `only ${crashes} crashes`);
  assert.ok(snapshots > SEEDS_PER_BATCH / 2, `only ${snapshots} snapshots sent`);
}

// Flat top-level tests (one per batch of seeds) so both runners count them alike.
for (let b = 0; b < BATCHES; b++) {
  const first = 1 + b * SEEDS_PER_BATCH;
  const last = first + SEEDS_PER_BATCH - 1;
  test(`simulation: seeds ${first}-${last}, safety + liveness + linearizability`, {
    timeout: TIMEOUT_MS,
  }, () => runBatch(first));
}

test(
  "simulation: every 3-node and 5-node option mix is covered",
  { timeout: TIMEOUT_MS },
  async () => {
    for (const nodes of [3, 5]) {
      for (let seed = 10_001; seed <= 10_020; seed++) {
        const r = await runSeed({ seed, ticks: 400, nodes });
        assert.ok(r.ok, `seed ${seed} nodes ${nodes}: ${r.error}`);
      }
    }
  },
);

test("simulation: a seed replays exactly", async () => {
  const a = await runSeed({ seed: 4242, ticks: 500 });
  const b = await runSeed({ seed: 4242, ticks: 500 });
  assert.ok(a.ok, a.error);
  assert.deepEqual(a, b);
});
