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

test("the crashes hit every phase: WAL append, flush, compaction, manifest, CURRENT, recovery", () => {
  const phases = [
    "wal",
    "flush",
    "compaction",
    "manifest edit",
    "new manifest",
    "CURRENT switch",
    "recovery",
  ];
  for (const phase of phases) {
    assert.ok((crashPhases.get(phase) ?? 0) > 0, `${phase}: ${JSON.stringify([...crashPhases])}`);
  }
});
