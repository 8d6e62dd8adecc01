/**
 * Invariants of a manifest edit made by this process, asserted before it is
 * logged: an edit breaking one would be fsynced and believed at every later
 * open. Edits read back from a manifest on disk are untrusted and are not
 * asserted on (they are decoded, and damage is a CorruptionError).
 */
import { assert } from "../../util/assert.ts";
import { compareBytes } from "../../util/bytes.ts";
import { compareInternalKeys, userKeyOf } from "../internal_key.ts";
import type { Version } from "./version.ts";
import type { VersionEdit } from "./version_edit.ts";

/** `edit` may be applied to `current`, and `next` (the result) is a well-formed version. */
export function assertEditConsistent(current: Version, edit: VersionEdit, next: Version): void {
  for (const [level, n] of edit.deleted) {
    assert(
      current.levels[level].some((f) => f.number === n),
      `edit deletes ${n}, not at L${level}`,
    );
  }
  for (const [level, f] of edit.added) {
    assert(compareInternalKeys(f.smallest, f.largest) <= 0, `table ${f.number} bounds reversed`);
    assert(f.size > 0 && level >= 0, `table ${f.number} is empty`);
  }
  const seen = new Set<number>();
  for (const files of next.levels) {
    for (const f of files) {
      assert(!seen.has(f.number), `table ${f.number} is live twice`);
      seen.add(f.number);
    }
  }
  const touched = new Set(edit.added.map(([level]) => level));
  for (const level of touched) {
    const files = next.levels[level];
    for (let i = 1; level > 0 && i < files.length; i++) {
      const before = userKeyOf(files[i - 1].largest), after = userKeyOf(files[i].smallest);
      assert(compareBytes(before, after) < 0, `L${level} tables ${files[i].number} overlap`);
    }
  }
}
