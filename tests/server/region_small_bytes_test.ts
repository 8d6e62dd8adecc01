/**
 * SmallRegionBytes (src/server/node/region_small_bytes.ts): with merge on, a region reports the
 * merge's own measure — its current records' exact bytes when small, just past the limit when not,
 * whatever the estimate says —; the count is made again only when the region may have shrunk.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../../src/storage/db.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { SmallRegionBytes } from "../../src/server/node/region_small_bytes.ts";
import { utf8 } from "../../src/util/bytes.ts";

/** A database whose every range holds `records` (key and value bytes each), counted to a limit. */
function fakeDb(records: { n: number; size: number }): Db {
  const db = {
    liveBytes: (_start: Uint8Array, _end: Uint8Array, limit: number) => {
      let n = 0;
      for (let i = 0; i < records.n && n <= limit; i++) n += records.size;
      return n;
    },
  };
  return db as unknown as Db;
}

function region(state: { applied: number; keys: number }): HostedRegion {
  const descriptor = { id: 7, start: utf8("a"), end: utf8("b") };
  return {
    id: 7,
    kv: {
      get appliedIndex() {
        return state.applied;
      },
      kv: {
        get keyCount() {
          return state.keys;
        },
      },
      descriptor,
    },
  } as unknown as HostedRegion;
}

/** A region of 20 records of 100 bytes (2,000 current bytes) under a 512-byte merge limit. */
function twentyRecords() {
  const records = { n: 20, size: 100 };
  const state = { applied: 10, keys: 20 };
  const small = new SmallRegionBytes(512);
  /** Deletes down to `n` records, applied as one more entry. */
  const shrinkTo = (n: number) => {
    records.n = n;
    state.keys = n;
    state.applied++;
  };
  return { db: fakeDb(records), state, r: region(state), small, shrinkTo };
}

test("small region bytes: exact when small, counted again only when it may have shrunk", () => {
  const { db, state, r, small, shrinkTo } = twentyRecords();
  // 2000 bytes of records: too big; the estimate is reported.
  assert.equal(small.of(db, r, 5000, 3), 5000);
  assert.equal(small.scans, 1);
  // Writes that keep the keys: no scan (still too big).
  state.applied = 11;
  assert.equal(small.of(db, r, 5100, 3), 5100);
  assert.equal(small.scans, 1);
  // Deletes: fewer keys, counted again; 300 bytes now.
  shrinkTo(3);
  assert.equal(small.of(db, r, 5100, 3), 300);
  assert.equal(small.scans, 2);
  // Nothing applied since: the count stands.
  assert.equal(small.of(db, r, 5100, 3), 300);
  assert.equal(small.scans, 2);
  // Merge off never scans.
  assert.equal(new SmallRegionBytes(0).of(db, r, 5000, 3), 5000);
  assert.equal(small.scans, 2);
});

test("small region bytes: a compressed estimate below the limit does not make a region small", () => {
  // 2,000 current bytes whose tables compress to an estimate of 300.
  const { db, r, small, shrinkTo } = twentyRecords();
  // Past the limit by the merge's own count: reported just past it, not as the estimate's 300.
  assert.equal(small.of(db, r, 300, 3), 513);
  assert.equal(small.scans, 1);
  // An estimate larger than that stands.
  assert.equal(small.of(db, r, 4000, 3), 4000);
  assert.equal(small.scans, 1);
  // Truly small (4 records, 400 bytes): the exact count, above the compressed estimate of 60.
  shrinkTo(4);
  assert.equal(small.of(db, r, 60, 3), 400);
  assert.equal(small.scans, 2);
});
