/**
 * The node's repeating checks (src/server/node/repeating_check.ts): one run per interval while
 * started, none after stop(), and a stop() from inside the check ends the repetition.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { RepeatingCheck } from "../../src/server/node/repeating_check.ts";

test("repeating check: once per interval while started, never after stop", () => {
  const clock = new SimClock();
  let runs = 0;
  const r = new RepeatingCheck(clock, 100, () => runs++);
  clock.advance(500);
  assert.equal(runs, 0, "not before start()");
  r.start();
  clock.advance(99);
  assert.equal(runs, 0);
  clock.advance(1);
  assert.equal(runs, 1);
  clock.advance(400);
  assert.equal(runs, 5);
  r.stop();
  clock.advance(1000);
  assert.equal(runs, 5);
});

test("repeating check: a stop from inside the check ends it", () => {
  const clock = new SimClock();
  let runs = 0;
  const r = new RepeatingCheck(clock, 10, () => {
    runs++;
    if (runs === 3) r.stop();
  });
  r.start();
  clock.advance(200);
  assert.equal(runs, 3);
});
