/** `loop.stall` lines: a probe timer that fires late by 100 ms or more is logged, on time is not. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Clock } from "../../../src/platform/types.ts";
import { createLogger } from "../../../src/server/log/logger.ts";
import {
  LOOP_PROBE_MS,
  LOOP_STALL_LOG_MS,
  watchLoopStalls,
} from "../../../src/server/metrics/loop_stalls.ts";

/** A clock whose single pending timer the test fires after moving time by hand. */
function manualClock() {
  let now = 0;
  let pending: (() => void) | undefined;
  const clock: Clock = {
    nowMs: () => now,
    wallMs: () => now,
    setTimeout: (fn) => {
      pending = fn;
      return 1;
    },
    clearTimeout: () => void (pending = undefined),
  };
  const fireAfter = (ms: number) => {
    now += ms;
    const fn = pending;
    pending = undefined;
    fn?.();
  };
  return { clock, fireAfter, armed: () => pending !== undefined };
}

test("loop stalls: a late probe timer is logged with its delay, timely ones are not", () => {
  const { clock, fireAfter, armed } = manualClock();
  const lines: string[] = [];
  const logger = createLogger({
    write: (l) => lines.push(l),
    level: "debug",
    wallMs: () => 0,
    nowMs: () => clock.nowMs(),
  });
  const stop = watchLoopStalls(clock, logger);
  fireAfter(LOOP_PROBE_MS); // on time
  fireAfter(LOOP_PROBE_MS + LOOP_STALL_LOG_MS - 1); // late, but under the threshold
  fireAfter(LOOP_PROBE_MS + 250); // held 250 ms
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0], /DEBUG loop\.stall ms=250$/);
  assert.ok(armed());
  stop();
  assert.equal(armed(), false, "stopping clears the probe's timer");
});
