/**
 * Write marks (src/storage/write_marks.ts): a flag raised by any write of a key in a range,
 * lowered only by its owner, and the reads of transaction locks that skip an empty lock
 * namespace by it (src/server/node/read_locks.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { lockKey } from "../../src/txn/txn_keys.ts";
import { encodeLock } from "../../src/txn/records.ts";
import { keySpan, ReadLocks } from "../../src/server/node/read_locks.ts";
import type { Clock } from "../../src/platform/types.ts";
import { openSim, world } from "./helpers.ts";

test("a write mark is raised by a put, a delete or a batch in its range, and only there", async () => {
  const db = await openSim(world(3));
  const mark = db.markWrites(utf8("b"), utf8("d"));
  assert.equal(mark.touched, true, "starts raised: the range was not looked at");
  const lowered = () => (mark.touched = false);
  lowered();
  await db.put(utf8("a"), utf8("1"));
  await db.put(utf8("d"), utf8("1")); // the end is outside
  await db.write([{ type: "put", key: utf8("e"), value: utf8("1") }, {
    type: "del",
    key: utf8("a"),
  }]);
  assert.equal(mark.touched, false, "writes outside the range leave it down");
  for (
    const write of [
      () => db.put(utf8("b"), utf8("1")), // the start is inside
      () => db.delete(utf8("c")),
      () => db.put(utf8("cz"), utf8("1")),
      () =>
        db.write([{ type: "put", key: utf8("a"), value: utf8("1") }, {
          type: "del",
          key: utf8("c\u0000"),
        }]),
    ]
  ) {
    lowered();
    await write();
    assert.equal(mark.touched, true, String(write));
  }
  await db.flush(); // a flush writes no key: a lowered mark stays down
  lowered();
  await db.flush();
  assert.equal(mark.touched, false);
  await db.close();
});

const clock = {} as Clock; // first() takes no time

test("read locks: a lock written after a look that found none is found", async () => {
  const db = await openSim(world(4));
  await db.put(utf8("user-key"), utf8("v"));
  const locks = new ReadLocks({
    db: () => db,
    resolve: () => Promise.resolve(true),
    clock,
    budgetMs: 1,
  });
  const span = keySpan(utf8("k"));
  assert.equal(locks.first(span, Number.MAX_SAFE_INTEGER), undefined);
  assert.equal(locks.first(span, Number.MAX_SAFE_INTEGER), undefined, "skipped by the mark");
  const lock = encodeLock({
    primary: utf8("k"),
    startTs: 7,
    ttlMs: 1000,
    kind: "put",
    lockedAtMs: 1,
  });
  await db.put(lockKey(utf8("k")), lock);
  assert.equal(locks.first(span, Number.MAX_SAFE_INTEGER)?.startTs, 7);
  assert.equal(locks.first(keySpan(utf8("j")), Number.MAX_SAFE_INTEGER), undefined, "other key");
  await db.delete(lockKey(utf8("k")));
  assert.equal(locks.first(span, Number.MAX_SAFE_INTEGER), undefined);
  await db.flush();
  await db.put(lockKey(utf8("k")), lock);
  await db.flush(); // in a table now
  assert.equal(locks.first(span, Number.MAX_SAFE_INTEGER)?.startTs, 7);
  await db.close();
});

test("a write mark lowered while a synced write waits for its fsync is raised once it shows", async () => {
  // With the WAL on and `sync: "always"`, a batch is in the memtable before its fsync and visible
  // only after: a reader that looks in between finds the range empty and lowers the mark.
  const db = await openSim(world(5), { wal: true, sync: "always" });
  const mark = db.markWrites(utf8("b"), utf8("d"));
  mark.touched = false;
  const write = db.put(utf8("c"), utf8("1"));
  await Promise.resolve(); // the group is inserted, its fsync pending
  assert.deepEqual([...db.scanSync({ start: utf8("b"), end: utf8("d") })], [], "not visible yet");
  mark.touched = false; // the owner's look found nothing
  await write;
  assert.equal(mark.touched, true, "raised when the write became visible");
  await db.close();
});
