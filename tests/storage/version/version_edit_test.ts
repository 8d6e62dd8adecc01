import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeInternalKey, ValueKind } from "../../../src/storage/internal_key.ts";
import { VersionEdit } from "../../../src/storage/version/version_edit.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { CorruptionError } from "../../../src/util/errors.ts";

test("version edit round-trips every field", () => {
  const e = new VersionEdit();
  e.logNumber = 7;
  e.nextFileNumber = 12;
  e.lastSequence = 2 ** 40;
  e.compactPointers.push([2, encodeInternalKey(utf8("m"), 5, ValueKind.Put)]);
  e.deleted.push([1, 4]);
  e.added.push([3, {
    number: 9,
    size: 12345,
    smallest: encodeInternalKey(utf8("a"), 1, ValueKind.Put),
    largest: encodeInternalKey(utf8("z"), 2, ValueKind.Delete),
  }]);
  e.added.push([5, {
    number: 30,
    size: 800,
    smallest: encodeInternalKey(utf8("b"), 3, ValueKind.BlobRef),
    largest: encodeInternalKey(utf8("c"), 4, ValueKind.Put),
    blobs: [8, 21, 29],
    blobBytes: 2 ** 33,
  }]);
  e.blobFiles.push({ number: 29, size: 64 << 20, count: 65_000 });
  e.blobGarbage.push([8, 4096], [21, 1]);
  const d = VersionEdit.decode(e.encode(), "MANIFEST-000001", 0);
  assert.deepEqual(d, e);
});

test("a table's blob list that is empty, repeats a number or runs past the edit is corruption", () => {
  const e = new VersionEdit();
  e.added.push([1, {
    number: 30,
    size: 800,
    smallest: encodeInternalKey(utf8("b"), 3, ValueKind.Put),
    largest: encodeInternalKey(utf8("c"), 4, ValueKind.Put),
    blobs: [8, 9],
    blobBytes: 100,
  }]);
  const good = e.encode();
  assert.equal(VersionEdit.decode(good, "M", 0).added[0][1].blobs?.length, 2);
  const cut = good.subarray(0, good.length - 1); // the last number missing
  assert.throws(() => VersionEdit.decode(cut, "M", 0), CorruptionError);
  const repeated = good.slice();
  repeated[repeated.length - 1] = 0; // 8 then 8 + 0
  assert.throws(() => VersionEdit.decode(repeated, "M", 0), CorruptionError);
  const empty = good.slice(0, good.length - 2);
  empty[empty.length - 1] = 0; // a count of none
  assert.throws(() => VersionEdit.decode(empty, "M", 0), CorruptionError);
});

test("unknown tags and bad levels are corruption", () => {
  assert.throws(() => VersionEdit.decode(new Uint8Array([99, 1]), "M", 32), CorruptionError);
  assert.throws(() => VersionEdit.decode(new Uint8Array([6, 9, 1]), "M", 0), CorruptionError);
});
