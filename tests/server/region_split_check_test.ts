/**
 * The split check's size estimate (region_split_check.ts): table bytes plus what the region
 * applied since the engine's last flush. Writes applied before the check first looks are in the
 * memtable and count; a flush the check sees moves them into the table bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SplitCheck } from "../../src/server/node/region_split_check.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import type { RegionHost } from "../../src/server/node/region_host.ts";
import type { Db } from "../../src/storage/db.ts";
import { RealClock } from "../../src/platform/real_clock.ts";
import { SILENT_LOGGER } from "../../src/server/log/logger.ts";

function fixture() {
  const state = { applied: 0, flushes: 1, tableBytes: 300 };
  const region = {
    id: 7,
    appliedBytes: () => state.applied,
    group: { rawNode: { isLeader: true } },
    kv: { descriptor: { id: 7, start: new Uint8Array(0), end: new Uint8Array(0) } },
  } as unknown as HostedRegion;
  const db = {
    stats: () => ({ flushes: state.flushes }),
    approximateSize: () => state.tableBytes,
  } as unknown as Db;
  const check = new SplitCheck({
    host: { all: () => [region] } as unknown as RegionHost,
    db: () => db,
    ids: { next: () => Promise.resolve(undefined) },
    holdsEveryRegion: () => true,
    clock: new RealClock(),
    logger: SILENT_LOGGER,
    splitBytes: 1e12, // never proposes: only the estimate is looked at
  });
  return { state, region, db, check };
}

test("split check: writes applied before its first look count as the memtable's", async () => {
  const { state, region, db, check } = fixture();
  state.applied = 5_000; // the region's writes applied before the first check
  await check.check();
  assert.equal(check.sizeOf(db, region), 5_300);
  assert.match(check.lastPass, /region 7: 5300 bytes/);
  state.applied = 6_000;
  await check.check();
  assert.equal(check.sizeOf(db, region), 6_300);
  // A flush: what applied so far is in the tables now (their estimate grows instead).
  state.flushes = 2;
  state.tableBytes = 6_300;
  await check.check();
  assert.equal(check.sizeOf(db, region), 6_300);
  state.applied = 6_500;
  assert.equal(check.sizeOf(db, region), 6_800);
});
