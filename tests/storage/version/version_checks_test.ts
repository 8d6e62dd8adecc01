/** The invariants asserted before a manifest edit is logged (version_checks.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeInternalKey, ValueKind } from "../../../src/storage/internal_key.ts";
import { Version } from "../../../src/storage/version/version.ts";
import { assertEditConsistent } from "../../../src/storage/version/version_checks.ts";
import { type FileMeta, VersionEdit } from "../../../src/storage/version/version_edit.ts";
import { AssertionError } from "../../../src/util/assert.ts";
import { utf8 } from "../../../src/util/bytes.ts";

function table(number: number, from: string, to: string): FileMeta {
  const smallest = encodeInternalKey(utf8(from), 9, ValueKind.Put);
  return { number, size: 100, smallest, largest: encodeInternalKey(utf8(to), 1, ValueKind.Put) };
}

function check(current: Version, build: (e: VersionEdit) => void): void {
  const edit = new VersionEdit();
  build(edit);
  assertEditConsistent(current, edit, current.apply(edit));
}

test("version checks: well-formed edits pass, a trivial move keeps its number", () => {
  const v = Version.empty();
  check(v, (e) => e.added.push([0, table(5, "a", "m")], [1, table(6, "n", "z")]));
  const base = new VersionEdit();
  base.added.push([0, table(5, "a", "m")]);
  check(v.apply(base), (e) => {
    e.deleted.push([0, 5]);
    e.added.push([1, table(5, "a", "m")]);
  });
});

test("version checks: a missing deletion, a duplicate, an overlap or reversed bounds assert", () => {
  const base = new VersionEdit();
  base.added.push([1, table(5, "a", "m")]);
  const v = Version.empty().apply(base);
  const bad: [string, (e: VersionEdit) => void][] = [
    ["deletes 7", (e) => e.deleted.push([1, 7])],
    ["live twice", (e) => e.added.push([2, table(5, "x", "y")])],
    ["overlap", (e) => e.added.push([1, table(6, "k", "p")])],
    ["bounds reversed", (e) => e.added.push([0, table(8, "q", "b")])],
  ];
  for (const [why, build] of bad) {
    assert.throws(() => check(v, build), (err: unknown) => {
      assert.ok(err instanceof AssertionError, String(err));
      assert.match(err.message, new RegExp(why));
      return true;
    });
  }
});
