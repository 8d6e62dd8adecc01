import { test } from "node:test";
import assert from "node:assert/strict";
import { runEngineSeed, totals } from "./engine_suite.ts";

/** Seeds in the default run; `tests/storage/run_seeds.ts --seeds N` runs more. */
const SEEDS = 300;
const PER_TEST = 50;

for (let from = 1; from <= SEEDS; from += PER_TEST) {
  test(`engine matches a sorted-map model, seeds ${from}..${from + PER_TEST - 1}`, {
    timeout: 120_000,
  }, async () => {
    for (let seed = from; seed < from + PER_TEST; seed++) await runEngineSeed(seed);
  });
}

test("the model runs reach flushes, compactions and reopens", () => {
  assert.ok(totals.flushes > SEEDS, `flushes ${totals.flushes}`);
  assert.ok(totals.compactions > SEEDS / 2, `compactions ${totals.compactions}`);
  assert.ok(totals.reopens > SEEDS, `reopens ${totals.reopens}`);
});
