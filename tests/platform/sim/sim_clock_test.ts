import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";

test("SimClock: nothing fires until advanced; timers fire in (due, creation) order", () => {
  const clock = new SimClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("c@10"), 10);
  clock.setTimeout(() => fired.push("a@5"), 5);
  clock.setTimeout(() => fired.push("b@5"), 5);
  const x = clock.setTimeout(() => fired.push("cancelled"), 7);
  clock.clearTimeout(x);
  assert.deepEqual(fired, []);
  clock.advance(5);
  assert.deepEqual(fired, ["a@5", "b@5"]);
  assert.equal(clock.nowMs(), 5);
  clock.advance(100);
  assert.deepEqual(fired, ["a@5", "b@5", "c@10"]);
  assert.equal(clock.nowMs(), 105);
  assert.equal(clock.pendingTimers(), 0);
});

test("SimClock: a timer set by a timer fires within the same advance when due", () => {
  const clock = new SimClock();
  const times: number[] = [];
  const tick = () => {
    times.push(clock.nowMs());
    if (times.length < 5) clock.setTimeout(tick, 3);
  };
  clock.setTimeout(tick, 3);
  clock.advance(14);
  assert.deepEqual(times, [3, 6, 9, 12]);
  assert.equal(clock.runNext(), true);
  assert.deepEqual(times, [3, 6, 9, 12, 15]);
  assert.equal(clock.runNext(), false);
});

test("SimClock: wall time is whole milliseconds, as Date.now() gives, even at fractional virtual time", () => {
  const clock = new SimClock();
  const start = clock.wallMs();
  clock.advance(12.7);
  assert.equal(clock.nowMs(), 12.7);
  assert.ok(Number.isInteger(clock.wallMs()), "a fraction cannot be stamped on a command (BigInt)");
  assert.equal(clock.wallMs() - start, 12);
});
