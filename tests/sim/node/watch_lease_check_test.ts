/**
 * The watch and lease checkers (src/sim/watch_delivery.ts, lease_check.ts)
 * accept what a correct cluster does and catch each planted violation: a
 * missed event, a repeated one, one out of range or order; a lease lost
 * while kept alive, a kept-alive lease's key deleted, a let-go lease that
 * never ended, a revoke that deleted only part of a lease's keys.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLeases, type LeaseRecord } from "../../../src/sim/lease_check.ts";
import { prefixRange, type RevChange } from "../../../src/sim/rev_model.ts";
import { checkWatch, type WatchRecord } from "../../../src/sim/watch_delivery.ts";
import { historyOf } from "./rev_history_helper.ts";

const h = historyOf([
  [2, "p/a", "1"],
  [3, "q/x", "2"],
  [4, "p/b", "3"],
  [4, "p/a", null],
  [6, "p/a", "4"],
]);

const put = (revision: number, key: string, value: string): RevChange => ({
  revision,
  type: "put",
  key,
  value,
});
const del = (revision: number, key: string): RevChange => ({
  revision,
  type: "delete",
  key,
  value: "",
});

function watch(delivered: RevChange[], from = 1, through = 6): WatchRecord {
  return { name: "w1#1", range: prefixRange("p/"), from, delivered, through, problems: [] };
}

const all = [put(2, "p/a", "1"), put(4, "p/b", "3"), del(4, "p/a"), put(6, "p/a", "4")];

test("watch check: exactly the range's changes from the start revision pass", () => {
  assert.equal(checkWatch(watch(all), h), undefined);
  assert.equal(checkWatch(watch(all.slice(1), 3), h), undefined);
  assert.equal(checkWatch(watch(all.slice(0, 3), 1, 5), h), undefined);
});

test("watch check: a missing event", () => {
  const v = checkWatch(watch([all[0], all[1], all[3]]), h);
  assert.match(v ?? "", /change 3: delete p\/a@4 missed \(got put p\/a=4@6 instead\)/);
  assert.match(checkWatch(watch(all.slice(0, 3)), h) ?? "", /put p\/a=4@6 missed/);
});

test("watch check: a duplicate event (a resume that repeats a revision)", () => {
  const v = checkWatch(watch([all[0], all[1], all[2], all[1], all[2], all[3]]), h);
  assert.match(v ?? "", /change 4: put p\/b=3@4 delivered again/);
});

test("watch check: an event outside the range or from before the start", () => {
  const out = checkWatch(watch([all[0], put(3, "q/x", "2"), ...all.slice(1)]), h);
  assert.match(out ?? "", /got put q\/x=2@3, expected put p\/b=3@4/);
  assert.match(checkWatch(watch(all, 3), h) ?? "", /got put p\/a=1@2, expected put p\/b=3@4/);
});

test("watch check: a problem while running fails the watch", () => {
  const w = { ...watch(all), problems: ["update revision 5 after 6"] };
  assert.match(checkWatch(w, h) ?? "", /update revision 5 after 6/);
});

const lh = historyOf([
  [2, "l/1", "a", 7],
  [3, "l/2", "b", 7],
  [4, "l/3", "c", 8],
  [5, "l/1", null],
  [5, "l/2", null],
]);

const lease = (o: Partial<LeaseRecord>): LeaseRecord => ({
  holder: "h1",
  id: 7,
  ttlMs: 3000,
  renewedAt: [0, 1000, 2000],
  keys: ["l/1", "l/2"],
  ...o,
});

test("lease check: losses after the TTL, kept keys, ended leases pass", () => {
  const ok = [
    lease({ lostAt: 4500 }),
    lease({ id: 8, keys: ["l/3"], renewedAt: [0] }),
    lease({ releasedAt: 2500 }),
  ];
  assert.deepEqual(checkLeases(ok, lh, 500), []);
});

test("lease check: a lease lost while kept alive", () => {
  const v = checkLeases([lease({ lostAt: 4000 })], lh, 500);
  assert.match(v.join(), /lease 7 of h1 lost at 4000, though renewed at 2000 .*not before 4500/);
});

test("lease check: a key of a lease kept alive to the end is deleted", () => {
  assert.match(checkLeases([lease({})], lh, 500).join(), /key l\/1 of lease 7, kept alive/);
});

test("lease check: a lease let go that never ended", () => {
  const v = checkLeases([lease({ id: 8, keys: ["l/3"], releasedAt: 100 })], lh, 500);
  assert.match(v.join(), /lease 8 let go by h1 at 100 still holds l\/3/);
});

test("lease check: a revoke that deletes only part of a lease's keys", () => {
  const half = historyOf([[2, "l/1", "a", 7], [3, "l/2", "b", 7], [5, "l/1", null]]);
  const v = checkLeases([lease({ releasedAt: 2500, keys: ["l/1"] })], half, 500);
  assert.match(v.join(), /revision 5 deleted keys of lease 7 but not l\/2/);
});
