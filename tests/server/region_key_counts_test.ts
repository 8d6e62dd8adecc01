/**
 * Key counts over a node's regions (src/server/node/region_key_counts.ts), which a Redis read on
 * a split node uses: DBSIZE sums, and whether a database holds keys other than strings (a GET
 * looks for a hash or a set under its key only then; wrong, a GET of a hash answers null).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keyCountsOf } from "../../src/server/node/region_key_counts.ts";
import type { RegionHost } from "../../src/server/node/region_host.ts";

/** A region whose database 0 holds `strings` strings and `typed` other keys, and 1 `db1` keys. */
function region(strings: number, typed: number, db1: number) {
  return {
    kv: {
      kv: {
        keyCount: strings,
        redisKeyCount: (db: number) => db === 0 ? strings + typed : db === 1 ? db1 : 0,
      },
    },
  };
}

test("key counts: summed over every region; typed keys are the Redis keys past the strings", () => {
  const regions = [region(5, 0, 0), region(3, 0, 2), region(4, 0, 1)];
  const counts = keyCountsOf({ all: () => regions } as unknown as RegionHost);
  assert.equal(counts.keyCount(), 12);
  assert.equal(counts.redisKeyCount(0), 12);
  assert.equal(counts.redisKeyCount(1), 3);
  assert.equal(counts.typedKeyCount(0), 0, "only strings in database 0");
  assert.equal(counts.typedKeyCount(1), 3, "every key of database 1 is outside the revisioned one");
  regions.push(region(1, 2, 0)); // a hash and a set in a region added since: seen at the next ask
  assert.equal(counts.typedKeyCount(0), 2);
  assert.equal(counts.redisKeyCount(0), 15);
});
