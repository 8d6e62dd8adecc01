/**
 * The transactions across regions a node runs at once (src/server/node/txns_in_flight.ts): a
 * retry of a request still running joins it (one transaction, one answer), requests without a
 * session never join, and past the bound a new one is refused with UNAVAILABLE until one ends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandOutcome, ServiceError } from "../../src/server/kv_service.ts";
import { TxnsInFlight } from "../../src/server/node/txns_in_flight.ts";

function pending(): { promise: Promise<CommandOutcome>; finish: () => void } {
  let finish = () => {};
  const promise = new Promise<CommandOutcome>((r) => finish = () => r({} as CommandOutcome));
  return { promise, finish };
}

test("txns in flight: a retry joins, sessionless runs never do, the bound refuses", async () => {
  const running = new TxnsInFlight(2);
  let starts = 0;
  const a = pending(), b = pending();
  const first = running.run("7:1", () => (starts++, a.promise));
  const retry = running.run("7:1", () => (starts++, Promise.reject(new Error("raced"))));
  assert.equal(retry, first, "the retry joins the run in flight");
  const anonymous = running.run(undefined, () => (starts++, b.promise));
  assert.equal(starts, 2);
  assert.equal(running.size, 2);
  await assert.rejects(
    running.run("7:2", () => (starts++, a.promise)),
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE,
  );
  assert.equal(starts, 2, "refused before it started");
  a.finish();
  b.finish();
  await Promise.all([first, anonymous]);
  assert.equal(running.size, 0);
  const c = pending();
  const again = running.run("7:1", () => (starts++, c.promise));
  assert.equal(starts, 3, "a finished session runs again (its dedup is the primary's)");
  c.finish();
  await again;
});
