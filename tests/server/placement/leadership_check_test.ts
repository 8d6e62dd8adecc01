/**
 * The placement leader's leadership check (src/server/placement/leadership_check.ts): one round
 * in flight, and every confirmation asked for meanwhile is served by the next round — never by
 * the one in flight, whose heartbeats left before those batches were drawn.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { ServiceError } from "../../../src/server/kv_service.ts";
import { LeadershipCheck } from "../../../src/server/placement/leadership_check.ts";

/** A region 0 whose rounds complete when the test says. */
function group(leads = true) {
  const started: Uint8Array[] = [];
  const state = { leads };
  const readIndex = (context: Uint8Array) => {
    if (!state.leads) return false;
    started.push(context);
    return true;
  };
  return { started, state, readIndex };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

/** Tracks a promise's outcome without awaiting it. */
function watch(p: Promise<void>) {
  const s: { done: boolean; error: unknown } = { done: false, error: undefined };
  p.then(() => s.done = true, (e) => s.error = e);
  return s;
}

test("leadership check: confirmations asked during a round share the next round", async () => {
  const g = group();
  const c = new LeadershipCheck(g.readIndex, new SimClock(), 5_000);
  const a = watch(c.confirm());
  assert.equal(g.started.length, 1, "the first starts a round at once");
  const b = watch(c.confirm());
  const d = watch(c.confirm());
  assert.equal(g.started.length, 1, "asked while a round is in flight: they wait for the next");
  c.confirmed([{ context: g.started[0] }]);
  await turn();
  assert.ok(a.done);
  assert.ok(!b.done && !d.done, "the round in flight does not confirm later draws");
  assert.equal(g.started.length, 2, "one more round for both");
  c.confirmed([{ context: g.started[1] }]);
  await turn();
  assert.ok(b.done && d.done);
  assert.deepEqual(c.counts, { confirms: 3, rounds: 2 });
  c.confirmed([{ context: g.started[1] }]); // a repeated read state: nothing waits on it
  await turn();
  assert.equal(g.started.length, 2, "no round without a confirmation waiting");
});

test("leadership check: region 0's only voter is confirmed without a round", async () => {
  const g = group();
  const alone = { now: true };
  const c = new LeadershipCheck(g.readIndex, new SimClock(), 5_000, () => alone.now);
  const a = watch(c.confirm());
  await turn();
  assert.ok(a.done, "confirmed at once");
  assert.equal(g.started.length, 0, "no ReadIndex round");
  alone.now = false; // a voter added: rounds again
  const b = watch(c.confirm());
  assert.equal(g.started.length, 1);
  await turn();
  assert.ok(!b.done);
  c.confirmed([{ context: g.started[0] }]);
  await turn();
  assert.ok(b.done);
});

test("leadership check: a stale round's read state confirms nothing", async () => {
  const g = group();
  const clock = new SimClock();
  const c = new LeadershipCheck(g.readIndex, clock, 100);
  const a = watch(c.confirm());
  const b = watch(c.confirm());
  clock.advance(100); // the first round times out; the queued one starts its own
  await turn();
  assert.ok(a.error instanceof ServiceError && a.error.code === ErrorCode.UNAVAILABLE);
  assert.equal(g.started.length, 2);
  c.confirmed([{ context: g.started[0] }]); // the timed-out round answers late
  await turn();
  assert.ok(!b.done, "only its own round confirms a draw");
  c.confirmed([{ context: g.started[1] }]);
  await turn();
  assert.ok(b.done);
});

test("leadership check: not the leader, or leadership lost, fails every waiter", async () => {
  const g = group(false);
  const c = new LeadershipCheck(g.readIndex, new SimClock(), 5_000);
  const a = watch(c.confirm());
  await turn();
  assert.ok(a.error instanceof ServiceError && a.error.code === ErrorCode.NOT_LEADER);
  g.state.leads = true;
  const b = watch(c.confirm());
  const d = watch(c.confirm());
  c.failAll();
  await turn();
  for (const x of [b, d]) {
    assert.ok(x.error instanceof ServiceError && x.error.code === ErrorCode.UNAVAILABLE);
  }
  c.confirmed([{ context: g.started[0] }]); // too late: nothing left to confirm
  const e = watch(c.confirm());
  assert.equal(g.started.length, 2, "a new round after the loss");
  c.confirmed([{ context: g.started[1] }]);
  await turn();
  assert.ok(e.done);
});
