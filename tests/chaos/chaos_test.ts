/**
 * The short chaos suite on real ./tinykv processes: every fault kind at least
 * once across a 3-node and a 5-node run, with concurrent clients; the history
 * must be linearizable, no acknowledged write lost and replicas identical.
 * Longer runs: `deno task chaos` (docs/chaos.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import type { FaultKind } from "./nemesis.ts";
import { DEFAULTS, runChaos } from "./scenario.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

async function check(nodes: number, seed: number, faults: FaultKind[]): Promise<void> {
  const lines: string[] = [];
  const r = await runChaos({
    ...DEFAULTS,
    nodes,
    seed,
    faults,
    faultMs: 2500,
    gapMs: 500,
    log: (l) => lines.push(l),
  });
  const v = r.summary.verdict;
  assert.equal(r.records.length, faults.length, r.text);
  assert.notEqual(v.linearizable, false, r.text);
  assert.deepEqual(v.lost, [], r.text);
  assert.deepEqual(v.diverged, [], r.text);
  assert.deepEqual(v.crashes, [], r.text);
  assert.ok(r.logCheck.ok, r.text);
  assert.ok(v.ackedInserts > 0, `no insert succeeded\n${r.text}`);
  assert.ok(r.summary.ops.ok > 100, `too few successful operations\n${r.text}`);
  if (process.env.TINYKV_CHAOS_VERBOSE) console.log(r.text);
}

test("chaos: 3 nodes through kills, a paused leader, an isolated leader and one-way loss", {
  timeout: 120_000,
  skip: BINARY_ONLY_SKIP,
}, async () => {
  await check(3, 3, [
    "kill-leader",
    "pause-leader",
    "partition-leader",
    "one-way-leader",
    "kill-follower",
    "kill-majority",
  ]);
});

test("chaos: 5 nodes through splits, a bridge, a paused follower, slow and lossy links", {
  timeout: 120_000,
  skip: BINARY_ONLY_SKIP,
}, async () => {
  await check(5, 5, ["partition-split", "partition-bridge", "pause-follower", "slow", "lossy"]);
});
