import { test } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "../../src/util/assert.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { checkPersistRequest, type StoredLog } from "../../src/raft/persist_check.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { createPrng } from "../../src/util/prng.ts";

function entries(term: number, ...indexes: number[]): Entry[] {
  return indexes.map((index) => ({ term, index, type: EntryType.Normal, data: new Uint8Array() }));
}

/** Entries 1..10 stored, 1..5 committed, term 3 with a vote for node 2. */
const STORED: StoredLog = { lastIndex: 10, hardState: { term: 3, vote: 2, commit: 5 } };

const save = (
  e: Entry[],
  hardState?: { term: number; vote: number; commit: number },
) => checkPersistRequest({ entries: e, hardState, snapshot: undefined }, STORED);

test("persist check: appends that extend or replace the uncommitted suffix pass", () => {
  save(entries(3, 11, 12));
  save(entries(4, 6, 7, 8), { term: 4, vote: 0, commit: 7 });
  save([], { term: 3, vote: 2, commit: 10 });
  save([], { term: 5, vote: 1, commit: 5 });
});

test("persist check: gaps, disorder and rewrites of committed entries are refused", () => {
  assert.throws(() => save(entries(3, 12)), AssertionError, "gap after the last index");
  assert.throws(() => save(entries(3, 11, 13)), AssertionError, "gap inside the batch");
  assert.throws(() => save(entries(3, 11, 11)), AssertionError, "repeated index");
  assert.throws(() => save(entries(4, 5, 6)), AssertionError, "rewrites committed entry 5");
});

test("persist check: a term going back, a second vote in a term, a commit past the log are refused", () => {
  assert.throws(() => save([], { term: 2, vote: 0, commit: 5 }), AssertionError);
  assert.throws(() => save([], { term: 3, vote: 1, commit: 5 }), AssertionError);
  assert.throws(() => save([], { term: 3, vote: 2, commit: 11 }), AssertionError);
  assert.throws(() => save(entries(4, 8), { term: 4, vote: 0, commit: 9 }), AssertionError);
});

test("persist check: entries after a snapshot from the leader build on the snapshot", () => {
  const snapshot = {
    metadata: {
      index: 20,
      term: 4,
      confState: {
        voters: [1],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      },
    },
    data: new Uint8Array(),
  };
  checkPersistRequest({ entries: entries(4, 21), hardState: undefined, snapshot }, STORED);
  assert.throws(
    () => checkPersistRequest({ entries: entries(4, 22), hardState: undefined, snapshot }, STORED),
    AssertionError,
  );
});

test("persist check: the log store refuses a save with a gap before writing it", async () => {
  const fs = new SimFileSystem(createPrng(1), new SimClock());
  const store = await LogStore.open(fs, "raft");
  await store.save({
    hardState: { term: 1, vote: 0, commit: 0 },
    entries: entries(1, 1, 2),
    snapshot: undefined,
    mustSync: true,
  });
  await assert.rejects(
    store.save({
      hardState: undefined,
      entries: entries(1, 4),
      snapshot: undefined,
      mustSync: true,
    }),
    AssertionError,
  );
  assert.equal(store.storage.lastIndex(), 2);
  store.close();
  // Nothing of the refused save reached the disk: the log replays as it was.
  const reopened = await LogStore.open(fs, "raft");
  assert.equal(reopened.storage.lastIndex(), 2);
  reopened.close();
});
