/**
 * The read barrier's rounds under load (read_barrier.ts): one round in flight, reads arriving
 * meanwhile wait for a round issued after them, and a sole voter's reads need no round.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { READ_ROUND_RETRY_MS } from "../../src/limits_ops.ts";
import { ReadBarrier } from "../../src/server/node/read_barrier.ts";

function setup(local?: () => number | undefined) {
  const clock = new SimClock();
  const issued: Uint8Array[] = [];
  let applied = 0;
  const barrier = new ReadBarrier(
    {
      issue: (context) => void issued.push(context),
      appliedIndex: () => applied,
      localReadIndex: local,
    },
    clock,
    5000,
  );
  const apply = (n: number) => {
    applied = n;
    barrier.applied();
  };
  return { clock, issued, barrier, apply };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

test("ReadBarrier: a read arriving while a round is in flight is served by a later round", async () => {
  const { issued, barrier, apply } = setup();
  const served: string[] = [];
  const early = barrier.wait().then(() => served.push("early"));
  await flush();
  assert.equal(issued.length, 1);
  // A write commits and is applied at 5 after the first round's index (4) was taken; a read
  // arriving now must see it, so the first round's index cannot serve it.
  const late = Array.from({ length: 5 }, () => barrier.wait().then(() => served.push("late")));
  await flush();
  assert.equal(issued.length, 1, "no second round while the first is in flight");
  barrier.confirmed(issued[0], 4);
  apply(5);
  await early;
  await flush();
  assert.deepEqual(served, ["early"], "the late reads wait for their own round");
  assert.equal(issued.length, 2, "one round for every read that arrived meanwhile");
  barrier.confirmed(issued[1], 6);
  await flush();
  assert.deepEqual(served, ["early"], "not before index 6 is applied");
  apply(6);
  await Promise.all(late);
  assert.equal(served.length, 6);
});

test("ReadBarrier: a round unconfirmed for long lets the next one go; each keeps its reads", async () => {
  const { clock, issued, barrier, apply } = setup();
  const first = barrier.wait();
  await flush();
  const second = barrier.wait();
  await flush();
  assert.equal(issued.length, 1);
  clock.advance(READ_ROUND_RETRY_MS); // the first round's message was lost, say
  await flush();
  assert.equal(issued.length, 2, "the waiting reads got a round of their own");
  barrier.confirmed(issued[1], 3);
  apply(3);
  await second;
  clock.advance(5000);
  await assert.rejects(first, /not confirmed in time/);
});

test("ReadBarrier: a leadership change fails the round in flight and starts the next", async () => {
  const { issued, barrier, apply } = setup();
  const first = barrier.wait();
  await flush();
  const second = barrier.wait();
  await flush();
  barrier.abortUnconfirmed("leadership changed");
  await assert.rejects(first, /leadership/);
  await flush();
  assert.equal(issued.length, 2, "the read that waited behind it gets a fresh round");
  barrier.confirmed(issued[1], 2);
  apply(2);
  await second;
});

test("ReadBarrier: a sole voter's reads need no round; they wait only for the apply", async () => {
  let local: number | undefined = 3;
  const { issued, barrier, apply } = setup(() => local);
  assert.equal(barrier.readyNow(), false, "index 3 is not applied yet");
  let served = 0;
  const reads = [barrier.wait(), barrier.wait()].map((p) => p.then(() => served++));
  await flush();
  assert.equal(served, 0);
  apply(3);
  await Promise.all(reads);
  assert.equal(served, 2);
  assert.equal(barrier.readyNow(), true);
  await barrier.wait();
  assert.equal(issued.length, 0, "no ReadIndex round was issued");
  local = undefined; // no longer the sole voter (or no longer the leader)
  assert.equal(barrier.readyNow(), false);
  const read = barrier.wait();
  await flush();
  assert.equal(issued.length, 1);
  barrier.confirmed(issued[0], 3);
  await read;
});

test("ReadBarrier.passOnce: a lost round is asked again, not waited out for the timeout", async () => {
  const clock = new SimClock();
  const issued: Uint8Array[] = [];
  const barrier = new ReadBarrier(
    { issue: (context) => void issued.push(context), appliedIndex: () => 9 },
    clock,
    5000,
    4,
  );
  let passed: boolean | undefined;
  void barrier.passOnce(300, () => false).then((ok) => passed = ok);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(issued.length, 1);
  // The first round is lost: no answer. 600 ms on, a new round is out.
  for (let i = 0; i < 4 && issued.length < 2; i++) {
    clock.advance(300);
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.equal(issued.length, 2, "asked again after the retry interval");
  assert.ok(clock.nowMs() < 5000);
  barrier.confirmed(issued[1], 9);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(passed, true, "passed on the second round, long before the request timeout");
});

test("ReadBarrier.passOnce: resolves false once closed, and asks no more", async () => {
  const clock = new SimClock();
  const issued: Uint8Array[] = [];
  const barrier = new ReadBarrier(
    { issue: (context) => void issued.push(context), appliedIndex: () => 0 },
    clock,
    5000,
  );
  let closed = false;
  const result = barrier.passOnce(300, () => closed);
  await new Promise((r) => setTimeout(r, 0));
  closed = true;
  clock.advance(300);
  assert.equal(await result, false);
  const asked = issued.length;
  clock.advance(3000);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(issued.length, asked);
});

test("ReadBarrier: an issuer that throws (its region left the node) refuses the reads", async () => {
  const barrier = new ReadBarrier(
    {
      issue: () => {
        throw new Error("region 5 is not on the driver");
      },
      appliedIndex: () => 0,
    },
    new SimClock(),
    5000,
  );
  await assert.rejects(barrier.wait(), /read not served: region 5 is not on the driver/);
});
