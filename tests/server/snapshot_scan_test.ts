/**
 * The choice and the retries of a current scan over several regions read at one timestamp
 * (src/server/node/snapshot_scan.ts), on fake regions: which scans take the path (current,
 * non-serializable, forward, over two regions or more) and a compaction past the timestamp met by
 * a new one, a bounded number of times.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import type { HostedRegion } from "../../src/server/node/region_host.ts";
import {
  scanAtOneTimestamp,
  spansRegions,
  wantsOneTimestamp,
} from "../../src/server/node/snapshot_scan.ts";
import type { KvScanRequest } from "../../src/kv/kv_scan.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { SNAPSHOT_SCAN_ATTEMPTS_MAX } from "../../src/limits_ops.ts";

const EMPTY = new Uint8Array(0);

function region(start: string, end: string): HostedRegion {
  const descriptor = { start: utf8(start), end: end === "" ? EMPTY : utf8(end) };
  return { kv: { descriptor } } as unknown as HostedRegion;
}

const span = (start: string, end: string) => ({ start: utf8(start), end: utf8(end) });

test("snapshot scan: only current, forward, non-serializable scans over several regions", async () => {
  assert.equal(wantsOneTimestamp({}, "linearizable"), true);
  assert.equal(wantsOneTimestamp({}, "lease"), true);
  assert.equal(wantsOneTimestamp({}, "serializable"), false);
  assert.equal(wantsOneTimestamp({ revision: 7 }, "linearizable"), false);
  assert.equal(wantsOneTimestamp({ reverse: true }, "linearizable"), false);

  const regions = [region("", "g"), region("g", "p"), region("p", "")];
  assert.equal(await spansRegions(regions, true, undefined, span("a", "f")), false, "in one");
  assert.equal(await spansRegions(regions, true, undefined, span("a", "g")), false, "end at edge");
  assert.equal(await spansRegions(regions, true, undefined, span("a", "h")), true, "two");
  assert.equal(await spansRegions(regions, true, undefined, span("h", "")), true, "open end");
  // One local region meets the span and does not cover it: the rest is another region's.
  assert.equal(await spansRegions([region("g", "p")], false, undefined, span("h", "z")), true);
});

test("snapshot scan: a compaction past the timestamp takes a new one, at most a few times", async () => {
  let next = 100;
  const asked: number[] = [];
  const compacted = (at: number) =>
    new ServiceError(ErrorCode.COMPACTED, `compacted past ${at}`, 0, "", at + 1);
  const once = (r: KvScanRequest) => {
    asked.push(r.revision ?? 0);
    if (asked.length === 1) return Promise.reject(compacted(r.revision ?? 0));
    return Promise.resolve({ items: [], nextCursor: undefined, revision: r.revision });
  };
  const page = await scanAtOneTimestamp({}, () => Promise.resolve(next++), once);
  assert.deepEqual(asked, [100, 101]);
  assert.equal(page.revision, 101, "the answer's revision is the timestamp read at");

  let tries = 0;
  const always = (r: KvScanRequest) => (tries++, Promise.reject(compacted(r.revision ?? 0)));
  await assert.rejects(
    scanAtOneTimestamp({}, () => Promise.resolve(next++), always),
    (err: unknown) => err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE,
  );
  assert.equal(tries, SNAPSHOT_SCAN_ATTEMPTS_MAX);

  // Other failures are the caller's, at once.
  const other = () => Promise.reject(new ServiceError(ErrorCode.FUTURE_REVISION, "no"));
  await assert.rejects(
    scanAtOneTimestamp({}, () => Promise.resolve(next++), other),
    (err: unknown) => err instanceof ServiceError && err.code === ErrorCode.FUTURE_REVISION,
  );
});
