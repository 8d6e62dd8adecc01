import { test } from "node:test";
import assert from "node:assert/strict";
import {
  composeTimestamp,
  InvalidTimestampError,
  LOGICAL_PER_MS,
  parseTimestamp,
  TIMESTAMP_EPOCH_MS,
  TimestampOracle,
  type TsoGrant,
} from "../../src/txn/timestamp.ts";
import { TSO_BATCH_MAX } from "../../src/limits_ops.ts";

const T0 = Date.UTC(2026, 11, 3, 18, 0, 0);

test("timestamp: the epoch is 2026-01-01 and the format is ms × 2048 + logical", () => {
  assert.equal(TIMESTAMP_EPOCH_MS, Date.UTC(2026, 0, 1));
  assert.equal(composeTimestamp(TIMESTAMP_EPOCH_MS, 0), 0);
  assert.equal(composeTimestamp(TIMESTAMP_EPOCH_MS + 1, 5), 2048 + 5);
  const ts = composeTimestamp(T0, 2047);
  assert.deepEqual(parseTimestamp(ts), { unixMs: T0, logical: 2047 });
  assert.ok(composeTimestamp(T0, 2047) < composeTimestamp(T0 + 1, 0));
  // Still a safe integer in 2161; past the range it is refused, never rounded.
  const y2161 = Date.UTC(2161, 0, 1);
  assert.ok(Number.isSafeInteger(composeTimestamp(y2161, LOGICAL_PER_MS - 1)));
  assert.throws(() => composeTimestamp(Date.UTC(2200, 0, 1), 0), InvalidTimestampError);
});

test("timestamp: bad parts and bad timestamps are refused with a clear error", () => {
  for (const [ms, logical] of [[TIMESTAMP_EPOCH_MS - 1, 0], [T0, -1], [T0, 2048], [T0 + 0.5, 0]]) {
    assert.throws(() => composeTimestamp(ms, logical), InvalidTimestampError);
  }
  for (const ts of [-1, 1.5, 2 ** 53, Number.NaN]) {
    assert.throws(() => parseTimestamp(ts), /not a safe integer/);
  }
});

/** Takes `count` timestamps, persisting whatever bound the oracle asks for. */
function take(oracle: TimestampOracle, count: number, nowMs: number, persisted: number[]) {
  for (let i = 0; i < 3; i++) {
    const g: TsoGrant = oracle.next(count, nowMs);
    if (g.kind === "granted") {
      if (g.persist !== undefined) {
        persisted.push(g.persist);
        oracle.persisted(g.persist);
      }
      return g;
    }
    persisted.push(g.bound);
    oracle.persisted(g.bound);
  }
  throw new Error("the oracle kept asking to persist");
}

test("TimestampOracle: nothing is handed out before a bound above it is persisted", () => {
  const oracle = new TimestampOracle(0, 1000);
  const first = oracle.next(1, T0);
  assert.equal(first.kind, "persist");
  assert.equal(oracle.last, -1, "nothing handed out");
  const bound = first.kind === "persist" ? first.bound : 0;
  assert.equal(bound, composeTimestamp(T0 + 1000, 0), "a window ahead of the clock");
  oracle.persisted(bound);
  const g = oracle.next(10, T0);
  assert.deepEqual(g, { kind: "granted", first: composeTimestamp(T0, 0), count: 10 });
  assert.ok(g.first + g.count <= oracle.bound);
});

test("TimestampOracle: batches are strictly increasing, also when the clock goes back", () => {
  const oracle = new TimestampOracle(0, 100);
  const persisted: number[] = [];
  let last = -1, now = T0;
  const clock = [0, 0, 5, -3, -200, 1, 0, 0, 400, -1000, 2];
  for (let i = 0; i < 200; i++) {
    now += clock[i % clock.length];
    const count = 1 + (i * 37) % 3000;
    const g = take(oracle, count, now, persisted);
    assert.ok(g.first > last, `batch ${i} starts at ${g.first} after ${last}`);
    assert.equal(g.count, count);
    last = g.first + g.count - 1;
    assert.ok(last < oracle.bound, "every timestamp is below the persisted bound");
  }
  // Bounds asked for never go down.
  for (let i = 1; i < persisted.length; i++) assert.ok(persisted[i] >= persisted[i - 1]);
});

test("TimestampOracle: a timestamp follows the clock when the clock is ahead", () => {
  const oracle = new TimestampOracle(0, 1000);
  const persisted: number[] = [];
  take(oracle, 1, T0, persisted);
  const later = take(oracle, 1, T0 + 500, persisted);
  assert.deepEqual(parseTimestamp(later.first), { unixMs: T0 + 500, logical: 0 });
});

test("TimestampOracle: it asks to persist ahead when half the window is used", () => {
  const oracle = new TimestampOracle(0, 10);
  oracle.persisted(composeTimestamp(T0 + 10, 0));
  const early = oracle.next(1, T0);
  assert.equal(early.kind === "granted" && early.persist, undefined);
  const late = oracle.next(1, T0 + 6);
  assert.ok(late.kind === "granted" && late.persist !== undefined);
  // Once asked, it does not ask again until that bound is persisted.
  const again = oracle.next(1, T0 + 7);
  assert.equal(again.kind === "granted" && again.persist, undefined);
});

test("TimestampOracle: a new leader starts above the bound its predecessor persisted", () => {
  const old = new TimestampOracle(0, 1000);
  const persisted: number[] = [];
  let last = 0;
  for (let i = 0; i < 50; i++) {
    const g = take(old, 100, T0 + i, persisted);
    last = g.first + g.count - 1;
  }
  // The new leader's clock is far behind (a skewed machine): it still starts above.
  const successor = new TimestampOracle(persisted.at(-1)!, 1000);
  const g = take(successor, 1, T0 - 60_000, []);
  assert.ok(g.first > last);
  assert.ok(g.first >= persisted.at(-1)!);
});

test("TimestampOracle: bad counts, bounds and windows are refused", () => {
  const oracle = new TimestampOracle(0);
  for (const count of [0, -1, 1.5, TSO_BATCH_MAX + 1]) {
    assert.throws(() => oracle.next(count, T0), InvalidTimestampError);
  }
  assert.throws(() => new TimestampOracle(-1), InvalidTimestampError);
  assert.throws(() => new TimestampOracle(0, 0), InvalidTimestampError);
  assert.throws(() => oracle.persisted(2 ** 53), InvalidTimestampError);
  assert.equal(oracle.last, -1);
});
