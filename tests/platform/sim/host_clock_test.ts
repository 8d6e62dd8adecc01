import { test } from "node:test";
import assert from "node:assert/strict";
import { HostClock } from "../../../src/platform/sim/host_clock.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";

test("HostClock: shares virtual time; stopAll cancels its timers and ignores later ones", () => {
  const shared = new SimClock();
  const dead = new HostClock(shared), alive = new HostClock(shared);
  const fired: string[] = [];
  dead.setTimeout(() => fired.push("dead@5"), 5);
  alive.setTimeout(() => fired.push("alive@5"), 5);
  shared.advance(3);
  assert.equal(dead.nowMs(), 3);
  dead.stopAll();
  dead.setTimeout(() => fired.push("dead-later"), 1);
  assert.equal(dead.pendingTimers(), 0);
  assert.equal(shared.pendingTimers(), 1);
  shared.advance(100);
  assert.deepEqual(fired, ["alive@5"]);
});

test("HostClock: pause holds due timers; resume fires them in order, one timer each", () => {
  const shared = new SimClock();
  const clock = new HostClock(shared);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("a@10"), 10);
  clock.setTimeout(() => fired.push("b@20"), 20);
  const c = clock.setTimeout(() => fired.push("c@25"), 25);
  clock.setTimeout(() => fired.push("d@100"), 100);
  clock.pause();
  shared.advance(50);
  assert.deepEqual(fired, []);
  clock.clearTimeout(c); // a held timer can still be cleared
  assert.equal(clock.pendingTimers(), 3);
  clock.resume();
  assert.deepEqual(fired, [], "nothing runs inside resume()");
  assert.equal(shared.fireNext(), true);
  assert.deepEqual(fired, ["a@10"]);
  shared.advance(0);
  assert.deepEqual(fired, ["a@10", "b@20"]);
  assert.equal(shared.nowMs(), 50);
  shared.advance(100);
  assert.deepEqual(fired, ["a@10", "b@20", "d@100"]);
  assert.equal(clock.pendingTimers(), 0);
});

test("HostClock: stopAll while paused drops the held timers too", () => {
  const shared = new SimClock();
  const clock = new HostClock(shared);
  let fired = 0;
  clock.setTimeout(() => fired++, 1);
  clock.pause();
  shared.advance(5);
  clock.stopAll();
  clock.resume();
  shared.advance(5);
  assert.equal(fired, 0);
});

test("HostClock: a negative delay fires now, as under a real runtime", () => {
  const shared = new SimClock(100);
  const clock = new HostClock(shared);
  let firedAt = -1;
  clock.setTimeout(() => firedAt = shared.nowMs(), -30);
  shared.advance(0);
  assert.equal(firedAt, 100);
});
