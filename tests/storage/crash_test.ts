import { test } from "node:test";
import assert from "node:assert/strict";
import { crashPhases, runCrashSeed } from "./crash_suite.ts";

const SEEDS = 300;
const PER_TEST = 50;

for (let from = 1; from <= SEEDS; from += PER_TEST) {
  test(`crash at random points keeps every acknowledged write, seeds ${from}..`, {
    timeout: 120_000,
  }, async () => {
    for (let seed = from; seed < from + PER_TEST; seed++) await runCrashSeed(seed);
  });
}

test("the crashes hit the WAL, tables, manifest and CURRENT", () => {
  for (const phase of ["wal", "table", "manifest", "current"]) {
    assert.ok((crashPhases.get(phase) ?? 0) > 0, `${phase}: ${JSON.stringify([...crashPhases])}`);
  }
});
