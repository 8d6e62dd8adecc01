/**
 * The barriers watches over several regions ask of idle regions (src/server/node/
 * span_barriers.ts): at most one in flight and one per interval a region, a floor only once the
 * region applied the barrier, and a failed one retried by the timer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import type { HostedRegion } from "../../src/server/node/region_host.ts";
import {
  SpanBarriers,
  WATCH_SPAN_BARRIER_INTERVAL_MS,
} from "../../src/server/node/span_barriers.ts";

/** A region with only what the barriers read: its id and its applied revision. */
function region(id: number, revision: { at: number }): HostedRegion {
  return {
    id,
    kv: {
      kv: {
        get revision() {
          return revision.at;
        },
        closedRevision: 0,
      },
    },
  } as unknown as HostedRegion;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("span barriers: one per interval a region, floors once applied, retried after a failure", async () => {
  const clock = new SimClock(1000);
  const asked: number[] = [];
  let fail = false;
  const applied = { at: 10 };
  let again = 0;
  const b = new SpanBarriers(clock, (_r, at) => {
    asked.push(at);
    if (fail) return Promise.reject(new Error("no leader"));
    applied.at = Math.max(applied.at, at + 5);
    return Promise.resolve();
  }, () => again++);
  const r = region(7, applied);
  b.ask(r, 20);
  b.ask(r, 21); // in flight: not asked again
  await settle();
  assert.deepEqual(asked, [20]);
  assert.equal(b.floor(7), 20, "published up to the asked revision once the barrier applied");
  assert.ok(again >= 1, "the merges run again when a barrier answers");
  b.ask(r, 30); // within the interval: waits for the timer
  await settle();
  assert.deepEqual(asked, [20]);
  clock.advance(WATCH_SPAN_BARRIER_INTERVAL_MS);
  b.ask(r, 30);
  await settle();
  assert.deepEqual(asked, [20, 30]);
  assert.equal(b.floor(7), 30);
  b.ask(r, 25); // at or below the floor: nothing to ask
  assert.deepEqual(asked, [20, 30]);

  // A failed barrier sets no floor; the timer runs the merges again to retry.
  fail = true;
  clock.advance(WATCH_SPAN_BARRIER_INTERVAL_MS);
  b.ask(r, 40);
  await settle();
  assert.equal(b.floor(7), 30);
  const before = again;
  clock.advance(WATCH_SPAN_BARRIER_INTERVAL_MS);
  assert.ok(again > before, "retried by the timer");

  // A region still below the revision after its barrier gets no floor at it.
  fail = false;
  const behind = { at: 1 };
  const other = new SpanBarriers(clock, () => Promise.resolve(), () => {});
  other.ask(region(8, behind), 50);
  await settle();
  assert.equal(other.floor(8), 0);
  b.close();
  other.close();
});
