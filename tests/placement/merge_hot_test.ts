/**
 * With `--region-split-load`, placement does not hold back the leader balance for small
 * neighbours the nodes will not merge because they are hot (merge_checker.ts `mergingOnNodes`):
 * before, eight regions split by load stayed led by one node for a whole minute of writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RegionInfo } from "../../src/placement/cluster_view.ts";
import { mergingOnNodes } from "../../src/placement/merge_checker.ts";
import { utf8 } from "../../src/util/bytes.ts";

function region(id: number, start: string, end: string, writesPerSec: number): RegionInfo {
  const replicas = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" as const }));
  return {
    descriptor: {
      id,
      start: utf8(start),
      end: utf8(end),
      epoch: { version: 2, confVer: 1 },
      replicas,
    },
    leader: 1,
    sizeBytes: 100,
    writesPerSec,
    caughtUp: [1, 2, 3],
    reportedMs: 0,
    term: 1,
  };
}

test("merge hot: small neighbours are merge-bound unless one is written past a quarter of the load", () => {
  const quiet = [region(2, "a", "b", 0), region(3, "b", "c", 10)];
  assert.deepEqual([...mergingOnNodes(quiet, 1_000, 1_000)].sort(), [2, 3], "both quiet");
  assert.deepEqual([...mergingOnNodes(quiet, 1_000)].sort(), [2, 3], "split by load off");
  const hot = [region(2, "a", "b", 0), region(3, "b", "c", 250), region(4, "c", "d", 0)];
  assert.deepEqual([...mergingOnNodes(hot, 1_000, 1_000)], [], "region 3 is hot: no pair");
  assert.deepEqual([...mergingOnNodes(hot, 1_000, 0)].sort(), [2, 3, 4], "off: every pair");
  const cooler = [region(2, "a", "b", 249), region(3, "b", "c", 249)];
  assert.deepEqual([...mergingOnNodes(cooler, 1_000, 1_000)].sort(), [2, 3], "below a quarter");
});
