/**
 * Runs many simulation seeds, or replays one:
 *   deno run -A tests/sim/run_seeds.ts --seeds 1000 [--start 1] [--ticks 600]
 *   deno run -A tests/sim/run_seeds.ts --seed 1234
 * A failing seed prints its replay command. Exit code 1 on any failure.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { describeOptions, runSeed } from "./vopr.ts";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "100" },
    start: { type: "string", default: "1" },
    seed: { type: "string" },
    ticks: { type: "string", default: "600" },
    nodes: { type: "string" },
  },
  strict: true,
});

const ticks = Number(values.ticks);
const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
const seeds: number[] = [];
if (values.seed !== undefined) seeds.push(Number(values.seed));
else for (let i = 0; i < Number(values.seeds); i++) seeds.push(Number(values.start) + i);

let failed = 0;
const started = performance.now();
for (const seed of seeds) {
  const r = await runSeed({ seed, ticks, nodes });
  if (!r.ok) {
    failed++;
    console.log(`FAIL seed=${seed} ${describeOptions(r.options)}: ${r.error}`);
    console.log(`  replay: deno run -A tests/sim/run_seeds.ts --seed ${seed} --ticks ${ticks}`);
  } else if (seeds.length === 1) {
    console.log(
      `ok seed=${seed} ${describeOptions(r.options)} ops=${r.completedOps} ` +
        `liveness=${r.livenessTicks} ticks ${JSON.stringify(r.stats)}`,
    );
  }
}
const secs = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${seeds.length - failed}/${seeds.length} seeds passed in ${secs}s`);
process.exit(failed > 0 ? 1 : 0);
