/**
 * Reads refused while a split settles (src/server/node/read_settle.ts) are run again until they
 * pass; any other error reaches the caller at once, and a refusal that lasts past
 * READ_SETTLE_WAIT_MS reaches it then.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { READ_SETTLE_WAIT_MS, retrySettling, settling } from "../../src/server/node/read_settle.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";

const clock = getPlatform().clock;

test("read settle: a read refused while a split settles is run again until it passes", async () => {
  let calls = 0;
  const value = await retrySettling(clock, () => {
    calls++;
    return calls < 4 ? Promise.reject(settling()) : Promise.resolve("read");
  });
  assert.equal(value, "read");
  assert.equal(calls, 4);
});

test("read settle: another error is not retried", async () => {
  let calls = 0;
  const other = new ServiceError(ErrorCode.UNAVAILABLE, "no leader");
  await assert.rejects(
    retrySettling(clock, () => {
      calls++;
      return Promise.reject(other);
    }),
    (err) => err === other,
  );
  assert.equal(calls, 1);
});

test("read settle: a refusal that lasts reaches the caller after the wait", async () => {
  const started = clock.nowMs();
  await assert.rejects(
    retrySettling(clock, () => Promise.reject(settling())),
    /a region split while the read waited; retry/,
  );
  assert.ok(clock.nowMs() - started >= READ_SETTLE_WAIT_MS);
});
