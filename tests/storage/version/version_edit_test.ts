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
  const d = VersionEdit.decode(e.encode(), "MANIFEST-000001", 0);
  assert.deepEqual(d, e);
});

test("unknown tags and bad levels are corruption", () => {
  assert.throws(() => VersionEdit.decode(new Uint8Array([99, 1]), "M", 32), CorruptionError);
  assert.throws(() => VersionEdit.decode(new Uint8Array([6, 9, 1]), "M", 0), CorruptionError);
});
