/**
 * Proposals' timestamps (src/server/node/proposal_timestamps.ts, decision 0018): one request to
 * the oracle per batch, at most one in flight, timestamps handed out in the order asked for,
 * and a clear retryable error (never a local clock) when the oracle does not answer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { nodeTimestamps, ProposalTimestamps } from "../../src/server/node/proposal_timestamps.ts";
import type { TimestampRange } from "../../src/txn/timestamp_service.ts";

/** An oracle answering when the test says, handing out increasing timestamps. */
function oracle() {
  let next = 1_000;
  const asked: number[] = [];
  const pending: {
    count: number;
    answer: (r: TimestampRange) => void;
    fail: (e: Error) => void;
  }[] = [];
  const fetch = (count: number) =>
    new Promise<TimestampRange>((answer, fail) => {
      asked.push(count);
      pending.push({ count, answer, fail });
    });
  const answer = () => {
    const p = pending.shift();
    if (p === undefined) throw new Error("no request in flight");
    p.answer({ first: next, count: p.count });
    next += p.count;
  };
  const fail = () => pending.shift()?.fail(new Error("placement leader unreachable"));
  return { fetch, asked, pending, answer, fail };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

test("proposal timestamps: one request per batch, one in flight, in the order asked", async () => {
  const o = oracle();
  const stamps = new ProposalTimestamps(o.fetch, new SimClock(), 1_000);
  const got: string[] = [];
  for (let i = 0; i < 5; i++) stamps.take((ts) => got.push(`a${i}@${ts}`), assert.fail);
  await turn();
  assert.deepEqual(o.asked, [5], "the proposals of one turn: one request");
  for (let i = 0; i < 3; i++) stamps.take((ts) => got.push(`b${i}@${ts}`), assert.fail);
  await turn();
  assert.deepEqual(o.asked, [5], "while one is in flight the next ones wait");
  o.answer();
  await turn();
  assert.deepEqual(o.asked, [5, 3], "the waiting ones go in the next request");
  o.answer();
  await turn();
  assert.deepEqual(got, [
    "a0@1000",
    "a1@1001",
    "a2@1002",
    "a3@1003",
    "a4@1004",
    "b0@1005",
    "b1@1006",
    "b2@1007",
  ]);
  assert.deepEqual(stamps.counts, { requests: 2, timestamps: 8, failures: 0 });
});

test("proposal timestamps: a batch is split at the batch limit", async () => {
  const o = oracle();
  const stamps = new ProposalTimestamps(o.fetch, new SimClock(), 1_000, 4);
  const got: number[] = [];
  for (let i = 0; i < 10; i++) stamps.take((ts) => got.push(ts), assert.fail);
  for (let round = 0; round < 3; round++) {
    await turn();
    o.answer();
  }
  await turn();
  assert.deepEqual(o.asked, [4, 4, 2]);
  assert.deepEqual(got, [...Array(10).keys()].map((i) => 1_000 + i));
});

test("proposal timestamps: an oracle that fails or does not answer fails the batch, retryable", async () => {
  const o = oracle();
  const clock = new SimClock();
  const stamps = new ProposalTimestamps(o.fetch, clock, 1_000);
  const errors: ServiceError[] = [];
  const used: number[] = [];
  stamps.take((ts) => used.push(ts), (e) => errors.push(e));
  stamps.take((ts) => used.push(ts), (e) => errors.push(e));
  await turn();
  o.fail();
  await turn();
  assert.equal(errors.length, 2);
  assert.ok(errors.every((e) => e.code === ErrorCode.UNAVAILABLE));
  assert.match(errors[0].message, /no timestamp from the placement service.*retry/);
  // No answer at all: the batch fails at the timeout; a late answer is not used.
  stamps.take((ts) => used.push(ts), (e) => errors.push(e));
  await turn();
  clock.advance(1_000);
  assert.equal(errors.length, 3);
  o.answer();
  await turn();
  assert.equal(used.length, 0, "no timestamp was handed out");
  // The next proposal asks again, and gets one.
  stamps.take((ts) => used.push(ts), (e) => errors.push(e));
  await turn();
  o.answer();
  await turn();
  assert.equal(used.length, 1);
  assert.deepEqual(stamps.counts, { requests: 3, timestamps: 1, failures: 2 });
});

test("proposal timestamps: one answer's proposals run inside one `together` call", async () => {
  const o = oracle();
  const calls: string[][] = [];
  let inside: string[] | undefined;
  const together = (propose: () => void) => {
    inside = [];
    propose();
    calls.push(inside);
    inside = undefined;
  };
  const stamps = new ProposalTimestamps(o.fetch, new SimClock(), 1_000, undefined, together);
  for (let i = 0; i < 3; i++) {
    stamps.take((ts) => {
      assert.ok(inside !== undefined, "proposed inside together");
      inside.push(`p${i}@${ts}`);
    }, assert.fail);
  }
  await turn();
  o.answer();
  await turn();
  assert.deepEqual(calls, [["p0@1000", "p1@1001", "p2@1002"]]);
});

test("proposal timestamps: a node's answer is proposed inside its driver loop's hold", async () => {
  const o = oracle();
  const held: number[] = [];
  let depth = 0;
  const raft = {
    placement: { timestamps: o.fetch },
    loop: {
      hold(fn: () => void) {
        depth++;
        fn();
        depth--;
      },
    },
  };
  const stamps = nodeTimestamps(raft, new SimClock(), 1_000);
  for (let i = 0; i < 3; i++) stamps.take(() => held.push(depth), assert.fail);
  await turn();
  o.answer();
  await turn();
  assert.deepEqual(held, [1, 1, 1], "each proposal made inside hold");
});
