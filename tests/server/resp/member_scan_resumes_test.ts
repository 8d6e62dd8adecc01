/** The node-local memory behind HSCAN cursors: bounded, checked, and safe-integer cursors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemberScanResumes } from "../../../src/server/resp/member_scan_resumes.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

test("scan resumes: a cursor finds its field only for the same database, key and position", () => {
  const t = new MemberScanResumes(4);
  const cursor = BigInt(t.save(2, utf8("h"), { position: 300, after: utf8("f299") }));
  assert.equal(cursor % 2n ** 32n, 300n, "the low bits are the position");
  assert.equal(fromUtf8(t.find(2, utf8("h"), cursor) ?? new Uint8Array()), "f299");
  assert.equal(t.find(0, utf8("h"), cursor), undefined, "another database");
  assert.equal(t.find(2, utf8("g"), cursor), undefined, "another key");
  assert.equal(t.find(2, utf8("h"), cursor + 1n), undefined, "another position");
  assert.equal(t.find(2, utf8("h"), 300n), undefined, "a bare position names no entry");
});

test("scan resumes: the oldest entry is forgotten first; cursors stay safe integers", () => {
  const t = new MemberScanResumes(3);
  const cursors = Array.from(
    { length: 5 },
    (_, i) => t.save(0, utf8("h"), { position: 2 ** 32 - 1, after: utf8(`f${i}`) }),
  );
  assert.equal(t.size, 3);
  const found = cursors.map((c) => t.find(0, utf8("h"), BigInt(c)));
  assert.deepEqual(found.map((f) => f && fromUtf8(f)), [undefined, undefined, "f2", "f3", "f4"]);
  for (const c of cursors) assert.ok(Number.isSafeInteger(c));
  assert.throws(() => new MemberScanResumes(2 ** 21), /more scan resumes than cursor tags/);
  assert.throws(() => new MemberScanResumes(10, 2 ** 21 + 1), /more scan resumes than cursor tags/);
});

test("scan resumes: tags wrap around without reviving old entries", () => {
  const t = new MemberScanResumes(2, 1000);
  const first = t.save(0, utf8("h"), { position: 7, after: utf8("a") });
  let last = first;
  for (let i = 0; i < 999; i++) {
    last = t.save(0, utf8("h"), { position: 7, after: utf8("b") });
  }
  assert.equal(last, first, "the tag space wrapped around to the first tag");
  assert.equal(fromUtf8(t.find(0, utf8("h"), BigInt(last)) ?? new Uint8Array()), "b");
  assert.ok(last < 2 ** 53);
});
