import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { READ_PARKED_MS_MAX, ReadBarrier } from "../../src/server/node/read_barrier.ts";

function setup() {
  const clock = new SimClock();
  const issued: Uint8Array[] = [];
  let applied = 0;
  const barrier = new ReadBarrier(
    {
      issue: (context) => void issued.push(context),
      appliedIndex: () => applied,
    },
    clock,
    5000,
  );
  return { clock, issued, barrier, setApplied: (n: number) => void (applied = n) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

test("ReadBarrier: reads arriving together share one round, served once applied", async () => {
  const { issued, barrier, setApplied } = setup();
  let served = 0;
  const reads = Array.from({ length: 10 }, () => barrier.wait().then(() => served++));
  await flush();
  assert.equal(issued.length, 1, "one ReadIndex round for the burst");
  barrier.confirmed(issued[0], 7);
  await flush();
  assert.equal(served, 0, "not before the state machine applied index 7");
  setApplied(7);
  barrier.applied();
  await Promise.all(reads);
  assert.equal(served, 10);
});

test("ReadBarrier: a leadership change fails unconfirmed rounds at once, not confirmed ones", async () => {
  const { issued, barrier, setApplied } = setup();
  const first = barrier.wait();
  await flush();
  barrier.confirmed(issued[0], 3);
  const second = barrier.wait();
  await flush();
  barrier.abortUnconfirmed("leadership changed");
  await assert.rejects(
    second,
    (e: unknown) => e instanceof ServiceError && /leadership/.test(e.message),
  );
  setApplied(3);
  barrier.applied();
  await first;
});

test("ReadBarrier: an unconfirmed round times out as a retryable error", async () => {
  const { clock, barrier } = setup();
  const read = barrier.wait();
  await flush();
  clock.advance(5000);
  await assert.rejects(read, /not confirmed in time/);
});

test("ReadBarrier: two nodes' rounds have different contexts; a node ignores another's", async () => {
  // The leader keys pending ReadIndex requests by context and drops a duplicate: a follower's
  // round must never carry the context of one of the leader's own rounds.
  const clock = new SimClock();
  const issued = new Map<number, Uint8Array[]>([[1, []], [2, []]]);
  const barriers = [1, 2].map((id) =>
    new ReadBarrier(
      { issue: (context) => void issued.get(id)?.push(context), appliedIndex: () => 10 },
      clock,
      5000,
      id,
    )
  );
  const reads = barriers.map((b) => b.wait());
  await flush();
  const [one, two] = [issued.get(1)?.[0], issued.get(2)?.[0]];
  assert.ok(one !== undefined && two !== undefined);
  assert.notDeepEqual(one, two);
  let secondServed = false;
  void reads[1].then(() => secondServed = true);
  barriers[1].confirmed(one, 4); // node 1's context reaches node 2: not its round
  await flush();
  assert.equal(secondServed, false);
  barriers[1].confirmed(two, 4);
  barriers[0].confirmed(one, 4);
  await Promise.all(reads);
});

test("ReadBarrier: reads a leader change dropped go again once a leader is known, once", async () => {
  const { clock, issued, barrier, setApplied } = setup();
  const read = barrier.wait();
  await flush();
  assert.equal(issued.length, 1);
  barrier.leadershipChanged(false); // no leader yet: parked, no round
  await flush();
  assert.equal(issued.length, 1, "no round while no leader is known");
  clock.advance(READ_PARKED_MS_MAX / 2);
  barrier.leadershipChanged(true); // the new leader is known: a new round for it
  await flush();
  assert.equal(issued.length, 2, "the dropped read went again");
  barrier.confirmed(issued[1], 4);
  setApplied(4);
  barrier.applied();
  await read; // served, not failed
  // Dropped a second time, a read fails as before (retryable), leader known or not.
  const again = barrier.wait();
  await flush();
  barrier.leadershipChanged(true);
  await flush();
  const third = issued.length;
  barrier.leadershipChanged(true);
  await assert.rejects(
    again,
    (e: unknown) => e instanceof ServiceError && /leadership/.test(e.message),
  );
  assert.equal(issued.length, third, "no third round for it");
});

test("ReadBarrier: parked reads fail if no leader is known in time, or the region leaves", async () => {
  const { clock, barrier } = setup();
  const read = barrier.wait();
  await flush();
  barrier.leadershipChanged(false);
  clock.advance(READ_PARKED_MS_MAX);
  await assert.rejects(
    read,
    (e: unknown) => e instanceof ServiceError && /leadership/.test(e.message),
  );
  const other = barrier.wait();
  await flush();
  barrier.leadershipChanged(false);
  barrier.abortUnconfirmed("region 5 moved off this node");
  await assert.rejects(other, /moved off/);
});

test("ReadBarrier: a round that finds no leader waits for one, once", async () => {
  const clock = new SimClock();
  const issued: Uint8Array[] = [];
  let leader = false, applied = 0;
  const barrier = new ReadBarrier(
    {
      issue: (context) => leader ? void issued.push(context) : "no-leader",
      appliedIndex: () => applied,
    },
    clock,
    5000,
  );
  const read = barrier.wait();
  await flush();
  assert.equal(issued.length, 0, "refused: an election is under way");
  leader = true;
  barrier.leadershipChanged(true);
  await flush();
  assert.equal(issued.length, 1, "issued once the leader is known");
  barrier.confirmed(issued[0], 2);
  applied = 2;
  barrier.applied();
  await read;
  // Refused again after its one retry: fails as before.
  const late = barrier.wait();
  await flush();
  leader = false;
  barrier.leadershipChanged(false);
  barrier.leadershipChanged(true);
  await assert.rejects(late, /no-leader/);
});
