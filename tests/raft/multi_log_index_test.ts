import { test } from "node:test";
import assert from "node:assert/strict";
import { NOT_NEEDED, RegionIndex, SegmentPins } from "../../src/raft/multi_log_index.ts";

test("multi log index: a region pins the oldest segment it needs, and the pin moves", () => {
  const pins = new SegmentPins();
  const a = new RegionIndex();
  a.markerSeq = 1;
  a.hardStateSeq = 3;
  a.noteEntries(2, 10);
  a.noteEntries(2, 12);
  a.noteEntries(3, 20);
  pins.update(7, a);
  assert.equal(a.pinned, 1);
  assert.deepEqual([...pins.pinnedBy(1)], [7]);
  a.markerSeq = 3; // a compaction marker written to segment 3, covering up to 12
  a.dropCovered(12);
  pins.update(7, a);
  assert.equal(pins.pinnedBy(1).size, 0, "segment 1 is free");
  assert.equal(a.pinned, 3, "entries 13..20 are in segment 3");
  a.noteInstall(4); // a snapshot from the leader replaces the log
  a.hardStateSeq = 4;
  pins.update(7, a);
  assert.equal(a.pinned, 4);
  assert.deepEqual(a.entrySegments, []);
  a.noteEntries(4, 30);
  a.moveAllTo(6, 25, 20);
  assert.deepEqual(a.entrySegments, [{ seq: 6, maxIndex: 25 }]);
  assert.equal(a.confStateSeq, NOT_NEEDED, "never needed, still not needed");
  a.moveAllTo(6, 20, 20);
  assert.deepEqual(a.entrySegments, [], "no entries past the snapshot: none needed");
  pins.release(7, a);
  assert.equal(pins.pinnedBy(4).size, 0);
  assert.equal(a.oldestNeeded(), 6);
  assert.equal(new RegionIndex().oldestNeeded(), NOT_NEEDED);
});
