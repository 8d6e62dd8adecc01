/**
 * A failing seed is only useful if it replays: the same seed must give the
 * same trace, byte for byte, and the same result.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runSeed } from "../../../src/sim/run_seed.ts";

test("whole-node sim: the same seed gives the same trace and result", async () => {
  const request = { seed: 7, faultPhaseMs: 8000, trace: true };
  const first = await runSeed(request);
  const second = await runSeed(request);
  assert.ok(first.trace.lines().length > 500, "the trace records the run");
  assert.equal(second.trace.text(), first.trace.text());
  assert.deepEqual(
    { ...second, trace: undefined },
    { ...first, trace: undefined },
  );
  // A different seed is a different run (the trace is not constant).
  const other = await runSeed({ ...request, seed: 8 });
  assert.notEqual(other.trace.text(), first.trace.text());
});
