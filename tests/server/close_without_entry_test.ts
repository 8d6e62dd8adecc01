/**
 * A region closed at a revision on its leader without a log entry (close_without_entry.ts): the
 * order of its steps, what it waits for, and when it falls back to a barrier or gives up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import {
  closeWithoutEntry,
  finalRevision,
  markClosed,
} from "../../src/server/node/close_without_entry.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import type { ProposalTimestamps } from "../../src/server/node/proposal_timestamps.ts";
import { ServiceError } from "../../src/server/kv_service.ts";

interface Fake {
  region: HostedRegion;
  raw: { isLeader: boolean; term: number; lastIndex: number };
  kv: { revision: number; closedRevision: number };
  steps: string[];
  /** Runs while the ReadIndex round is in flight (a leader change, entries appended). */
  duringRound: () => void;
}

function fakeRegion(): Fake {
  const f: Fake = {
    raw: { isLeader: true, term: 3, lastIndex: 40 },
    kv: { revision: 100, closedRevision: 0 },
    steps: [],
    duringRound: () => {},
    region: undefined as unknown as HostedRegion,
  };
  f.region = {
    id: 7,
    group: { rawNode: f.raw },
    kv: { kv: f.kv },
    reads: {
      wait: async () => {
        f.steps.push(`round (last ${f.raw.lastIndex})`);
        await Promise.resolve();
        f.duringRound();
      },
      appliedThrough: async (index: number) => {
        f.steps.push(`applied ${index}`);
        await Promise.resolve();
      },
    },
  } as unknown as HostedRegion;
  return f;
}

/** `answered`: what the answer's turn does (proposals handed their timestamps, say). */
function stamps(highest: number, fresh?: number, answered = () => {}) {
  const s = {
    highest,
    asked: 0,
    next: async () => {
      s.asked++;
      await Promise.resolve();
      answered();
      if (fresh !== undefined) s.highest = Math.max(s.highest, fresh);
      return s.highest;
    },
  };
  return s;
}

const asStamps = (s: ReturnType<typeof stamps>) => s as unknown as ProposalTimestamps;

test("close without entry: a ReadIndex round, then the log as it was before it, applied", async () => {
  const f = fakeRegion(), s = stamps(500);
  let barriers = 0;
  // Entries appended while the round is out have timestamps above 500: not waited for.
  f.duringRound = () => f.raw.lastIndex = 45;
  await closeWithoutEntry(f.region, 300, asStamps(s), () => Promise.resolve(barriers++));
  assert.deepEqual(f.steps, ["round (last 40)", "applied 40"]);
  assert.equal(barriers, 0, "no barrier entry");
  assert.equal(s.asked, 0, "the timestamps handed out already cover the revision");
  assert.equal(f.kv.closedRevision, 300);
  assert.equal(finalRevision(f.region), 300, "reads at 300 are final here");
  markClosed(f.region, 200);
  assert.equal(f.kv.closedRevision, 300, "a close never lowers it");
});

test("close without entry: a revision above every timestamp handed out asks for one first", async () => {
  const f = fakeRegion();
  // The answer's turn proposes what waited for timestamps (up to 280 of them below 300): the
  // entries the close must wait for.
  const s = stamps(250, 400, () => f.raw.lastIndex = 43);
  let barriers = 0;
  await closeWithoutEntry(f.region, 300, asStamps(s), () => Promise.resolve(barriers++));
  assert.equal(s.asked, 1);
  assert.equal(barriers, 0);
  assert.deepEqual(f.steps, ["round (last 40)", "applied 43"], "the round went out at once");
  assert.equal(f.kv.closedRevision, 300);
});

test("close without entry: a revision no timestamp reached goes to the barrier", async () => {
  const f = fakeRegion(), s = stamps(250, 260);
  let barriers = 0;
  await closeWithoutEntry(f.region, 300, asStamps(s), () => Promise.resolve(barriers++));
  assert.equal(barriers, 1, "the barrier's own timestamp decides FUTURE_REVISION");
  assert.deepEqual(f.steps, ["round (last 40)"], "no apply wait");
  assert.equal(f.kv.closedRevision, 0, "not closed");
});

test("close without entry: a leader change during the round closes nothing", async () => {
  for (const change of ["stepped down", "new term"]) {
    const f = fakeRegion();
    f.duringRound = () => {
      if (change === "stepped down") f.raw.isLeader = false;
      else f.raw.term++;
    };
    await assert.rejects(
      closeWithoutEntry(f.region, 300, asStamps(stamps(500)), () => Promise.resolve()),
      (err) => err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE,
      change,
    );
    assert.deepEqual(f.steps, ["round (last 40)"], `${change}: no apply wait`);
    assert.equal(f.kv.closedRevision, 0, `${change}: not closed`);
  }
});

test("close without entry: a round that fails while the timestamp is awaited fails the close", async () => {
  const f = fakeRegion();
  const aborted = new ServiceError(ErrorCode.UNAVAILABLE, "read not served: leadership changed");
  (f.region.reads as { wait: () => Promise<void> }).wait = () => Promise.reject(aborted);
  // The timestamp comes later than the round's failure: that failure must not go unhandled.
  const slow = {
    highest: 250,
    next: async () => {
      await new Promise((r) => setTimeout(r, 20));
      slow.highest = 400;
      return 400;
    },
  };
  await assert.rejects(
    closeWithoutEntry(
      f.region,
      300,
      slow as unknown as ProposalTimestamps,
      () => Promise.resolve(),
    ),
    (err) => err === aborted,
  );
  assert.equal(f.kv.closedRevision, 0);
});
