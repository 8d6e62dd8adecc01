import { test } from "node:test";
import assert from "node:assert/strict";
import { TimestampOracle } from "../../src/txn/timestamp.ts";
import { TimestampBatcher, TimestampService } from "../../src/txn/timestamp_service.ts";
import { TSO_BATCH_MAX } from "../../src/limits_ops.ts";

const T0 = Date.UTC(2026, 11, 3, 18, 0, 0);

/** A service whose persists are recorded and finish when the test says so. */
function service(windowMs = 100) {
  const clock = { nowMs: T0 };
  const persisted: number[] = [];
  let fail = false;
  const svc = new TimestampService(new TimestampOracle(0, windowMs), (bound) => {
    persisted.push(bound);
    return fail ? Promise.reject(new Error("not the leader")) : Promise.resolve();
  }, () => clock.nowMs);
  return { svc, clock, persisted, setFail: (f: boolean) => (fail = f) };
}

test("TimestampService: callers wait for the first bound, and share one persist", async () => {
  const { svc, persisted } = service();
  const ranges = await Promise.all(Array.from({ length: 20 }, (_, i) => svc.next(1 + i)));
  assert.equal(persisted.length, 1, "one persist served every waiting caller");
  const all = ranges.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.first + i));
  assert.equal(new Set(all).size, all.length, "no timestamp handed out twice");
  assert.ok(Math.max(...all) < svc.oracle.bound);
});

test("TimestampService: the bound is persisted ahead while timestamps keep coming", async () => {
  const { svc, clock, persisted } = service(100);
  let last = -1;
  for (let i = 0; i < 300; i++) {
    clock.nowMs += 1;
    const r = await svc.next(1);
    assert.ok(r.first > last);
    last = r.first;
  }
  // 300 ms at a 100 ms window: persisted every ~50 ms, each bound higher than the last.
  assert.ok(persisted.length >= 5 && persisted.length <= 10, `${persisted.length} persists`);
  for (let i = 1; i < persisted.length; i++) assert.ok(persisted[i] > persisted[i - 1]);
});

test("TimestampService: a failed persist fails the waiting callers; a later one succeeds", async () => {
  const { svc, setFail } = service();
  setFail(true);
  await assert.rejects(svc.next(1), /not the leader/);
  setFail(false);
  const r = await svc.next(1);
  assert.ok(r.first < svc.oracle.bound);
});

test("TimestampBatcher: everything asked in one turn is one request", async () => {
  const { svc } = service();
  const requests: number[] = [];
  const batcher = new TimestampBatcher((count) => {
    requests.push(count);
    return svc.next(count);
  });
  const first = await Promise.all(Array.from({ length: 100 }, () => batcher.next()));
  const second = await Promise.all(Array.from({ length: 3 }, () => batcher.next()));
  assert.deepEqual(requests, [100, 3]);
  const all = [...first, ...second];
  for (let i = 1; i < all.length; i++) assert.equal(all[i], all[i - 1] + 1);
});

test("TimestampBatcher: a batch past TSO_BATCH_MAX is split; a failure rejects its batch", async () => {
  const requests: number[] = [];
  let next = 0;
  const batcher = new TimestampBatcher((count) => {
    requests.push(count);
    if (requests.length === 3) return Promise.reject(new Error("placement unavailable"));
    const first = next;
    next += count;
    return Promise.resolve({ first, count });
  });
  const many = await Promise.all(Array.from({ length: TSO_BATCH_MAX + 5 }, () => batcher.next()));
  assert.deepEqual(requests, [TSO_BATCH_MAX, 5]);
  assert.equal(new Set(many).size, many.length);
  await assert.rejects(batcher.next(), /placement unavailable/);
});
