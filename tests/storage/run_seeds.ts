/**
 * Runs many seeds of the engine model test (and the crash test):
 *   deno run -A tests/storage/run_seeds.ts --seeds 5000 [--from 1] [--crash]
 *   deno run -A tests/storage/run_seeds.ts --seed 1234      (replay one seed)
 * Also runs under `bun tests/storage/run_seeds.ts ...`.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { runEngineSeed } from "../conformance/engine_suite.ts";
import { runCrashSeed } from "./crash_suite.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    seeds: { type: "string", default: "1000" },
    from: { type: "string", default: "1" },
    seed: { type: "string" },
    crash: { type: "boolean", default: false },
  },
});
const run = values.crash ? runCrashSeed : (s: number) => runEngineSeed(s);
const from = values.seed !== undefined ? Number(values.seed) : Number(values.from);
const count = values.seed !== undefined ? 1 : Number(values.seeds);
const t0 = performance.now();
for (let seed = from; seed < from + count; seed++) {
  try {
    await run(seed);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
console.log(`${count} seeds passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
