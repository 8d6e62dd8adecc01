/**
 * Closes of a region shared by concurrent reads (src/server/node/shared_closes.ts): one in flight
 * per region and kind; a read at or below it shares it, a higher one waits for the next close at
 * the highest revision asked meanwhile; none when the region got that far; failures shared.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { HostedRegion } from "../../src/server/node/region_host.ts";
import { SharedCloses } from "../../src/server/node/shared_closes.ts";

function fakeRegion(): HostedRegion & { kv: { kv: { revision: number } } } {
  return { id: 5, kv: { kv: { revision: 0, closedRevision: 0 } } } as unknown as HostedRegion & {
    kv: { kv: { revision: number } };
  };
}

test("shared closes: one in flight a region; higher revisions wait for one next close", async () => {
  const r = fakeRegion();
  const calls: [number, boolean][] = [];
  const pending: (() => void)[] = [];
  const closes = new SharedCloses((_region, at, ask) => {
    calls.push([at, ask]);
    return new Promise<void>((resolve) =>
      pending.push(() => ((r.kv.kv.revision = at + 1), resolve()))
    );
  });
  const a = closes.closeAt(r, 100, true);
  const b = closes.closeAt(r, 90, true); // shares the close at 100
  const c = closes.closeAt(r, 110, true); // waits for the next
  const d = closes.closeAt(r, 120, true); // the next, at 120
  const e = closes.closeAt(r, 100, false); // another kind: its own
  assert.deepEqual(calls, [[100, true], [100, false]]);
  pending.shift()?.();
  await Promise.all([a, b]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, [[100, true], [100, false], [120, true]]);
  pending.shift()?.();
  await e;
  pending.shift()?.();
  await Promise.all([c, d]);
  assert.equal(closes.started, 3);
  // A region already past the next revision needs no next close.
  const f = closes.closeAt(r, 130, true);
  const g = closes.closeAt(r, 125, true); // shares
  const h = closes.closeAt(r, 131, true); // next, but the close at 130 takes the region to 131
  pending.shift()?.();
  await Promise.all([f, g, h]);
  assert.equal(closes.started, 4);
});

test("shared closes: a failure is every sharer's; the next close still runs", async () => {
  const r = fakeRegion();
  let n = 0;
  const closes = new SharedCloses((_region, at) => {
    n++;
    if (n === 1) return Promise.reject(new Error("no leader"));
    r.kv.kv.revision = at;
    return Promise.resolve();
  });
  const a = closes.closeAt(r, 10, true), b = closes.closeAt(r, 5, true);
  const c = closes.closeAt(r, 20, true);
  await assert.rejects(a, /no leader/);
  await assert.rejects(b, /no leader/);
  await c;
  assert.equal(r.kv.kv.revision, 20);
  assert.equal(n, 2);
});
