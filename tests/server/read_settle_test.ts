/**
 * Reads refused while a split settles (src/server/node/read_settle.ts) are run again until they
 * pass; any other error reaches the caller at once, and a refusal that lasts past
 * READ_SETTLE_WAIT_MS reaches it then; a read whose regions changed or stopped being served while
 * it waited is refused so (`unchanged`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import {
  pinRegions,
  READ_SETTLE_WAIT_MS,
  retrySettling,
  settling,
  unchanged,
} from "../../src/server/node/read_settle.ts";
import type { HostedRegion, RegionHost } from "../../src/server/node/region_host.ts";
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

test("read settle: a read whose region split or left meanwhile is refused, then run again", async () => {
  type Fake = { id: number; kv: { descriptor: { epoch: { version: number } } } };
  const region = (id: number): Fake => ({ id, kv: { descriptor: { epoch: { version: 1 } } } });
  const one = region(1), two = region(2);
  const hosted = new Map([[1, one], [2, two]]);
  const host = { region: (id: number) => hosted.get(id) } as unknown as RegionHost;
  const regions = [one, two] as unknown as HostedRegion[];
  const check = pinRegions(host, regions);
  check(); // unchanged: no refusal
  two.kv.descriptor.epoch.version = 2; // region 2 split while the read waited
  assert.throws(check, /a region split while the read waited; retry/);
  two.kv.descriptor.epoch.version = 1;
  hosted.set(2, region(2)); // left and came back: another replica
  assert.throws(check, /a region split while the read waited; retry/);
  // Such a refusal is the one retrySettling runs the read again for.
  let reads = 0;
  const value = await retrySettling(clock, () => {
    reads++;
    return reads === 1 ? Promise.reject(settling()) : Promise.resolve(reads);
  });
  assert.equal(value, 2);
});

test("read settle: a read whose region stopped being served here, or whose regions changed, runs again", () => {
  const one = { id: 1 }, two = { id: 2 };
  let served = [one, two];
  const host = {
    generation: 5,
    serves: (r: unknown) => served.includes(r as typeof one),
  } as unknown as RegionHost & { generation: number };
  const regions = [one, two] as unknown as HostedRegion[];
  unchanged(host, 5, regions); // nothing changed: the read goes on
  served = [one]; // region 2 left out of its configuration: no generation change
  assert.throws(() => unchanged(host, 5, regions), /a region split while the read waited/);
  served = [one, two];
  host.generation = 6; // a region added, split or dropped
  assert.throws(() => unchanged(host, 5, regions), /a region split while the read waited/);
});
