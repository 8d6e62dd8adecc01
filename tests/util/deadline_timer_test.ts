import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { DeadlineTimer } from "../../src/util/deadline_timer.ts";

test("deadline timer: one timer, fired at the earliest deadline, re-armed for the next", () => {
  const clock = new SimClock();
  const deadlines = new Set<number>();
  const fired: number[] = [];
  const timer = new DeadlineTimer(clock, (now) => {
    fired.push(now);
    let next = Infinity;
    for (const d of deadlines) {
      if (d <= now) deadlines.delete(d);
      else next = Math.min(next, d);
    }
    return next;
  });
  for (const d of [300, 100, 200]) {
    deadlines.add(d);
    timer.add(d);
  }
  assert.equal(clock.pendingTimers(), 1, "one timer however many deadlines");
  clock.advance(99);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [100]);
  assert.equal(clock.pendingTimers(), 1, "re-armed for 200");
  clock.advance(250);
  assert.deepEqual(fired, [100, 200, 300]);
  assert.equal(clock.pendingTimers(), 0, "nothing left: no timer");
  timer.add(500);
  timer.clear();
  assert.equal(clock.pendingTimers(), 0, "clear drops the timer");
  clock.advance(1000);
  assert.deepEqual(fired, [100, 200, 300]);
});
