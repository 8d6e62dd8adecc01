import { test } from "node:test";
import assert from "node:assert/strict";
import { runUntil, runUntilSettled, settle } from "../../../src/platform/sim/settle.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";

test("settle: a long promise chain finishes before settle resolves", async () => {
  let steps = 0;
  void (async () => {
    for (let i = 0; i < 10_000; i++) await Promise.resolve(steps++);
  })();
  await settle();
  assert.equal(steps, 10_000);
});

test("SimClock.fireNext fires exactly one timer, even among several due together", () => {
  const clock = new SimClock();
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(1), 5);
  clock.setTimeout(() => fired.push(2), 5);
  assert.equal(clock.fireNext(), true);
  assert.deepEqual(fired, [1]);
  assert.equal(clock.nowMs(), 5);
  assert.equal(clock.fireNext(), true);
  assert.equal(clock.fireNext(), false);
  assert.deepEqual(fired, [1, 2]);
});

test("runUntil: each timer's promise chains finish before the next timer fires", async () => {
  const clock = new SimClock();
  const log: string[] = [];
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  const worker = async (name: string) => {
    for (let i = 0; i < 3; i++) {
      await sleep(10);
      await Promise.resolve(); // more microtasks after the wake-up
      log.push(`${name}${i}@${clock.nowMs()}`);
    }
  };
  void worker("a");
  void worker("b");
  assert.equal(await runUntil(clock, () => log.length === 6, 1000), true);
  assert.deepEqual(log, ["a0@10", "b0@10", "a1@20", "b1@20", "a2@30", "b2@30"]);
});

test("runUntil: false when the budget runs out (clock at its end) or no timer is left", async () => {
  const clock = new SimClock();
  clock.setTimeout(() => {}, 500);
  assert.equal(await runUntil(clock, () => false, 100), false);
  assert.equal(clock.nowMs(), 100);
  assert.equal(await runUntil(clock, () => false, 1000), false);
  assert.equal(clock.nowMs(), 500);
  await assert.rejects(runUntilSettled(clock, new Promise(() => {}), 10), /did not settle/);
});
