import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapStorage, MemoryStorage } from "../../../src/raft/core/storage.ts";
import { RaftLog } from "../../../src/raft/core/log.ts";
import { type Entry, EntryType } from "../../../src/raft/core/messages.ts";

const CS = { voters: [1], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
const e = (term: number, index: number): Entry => ({
  term,
  index,
  type: EntryType.Normal,
  data: new Uint8Array(3),
});

test("memory storage: append replaces a conflicting suffix", () => {
  const s = bootstrapStorage(CS, 1);
  s.append([e(1, 2), e(1, 3), e(1, 4)]);
  s.append([e(2, 3)]);
  assert.equal(s.lastIndex(), 3);
  assert.equal(s.term(3), 2);
});

test("memory storage: compaction keeps the term of the compacted index", () => {
  const s = bootstrapStorage(CS, 1);
  s.append([e(1, 2), e(2, 3), e(2, 4)]);
  s.createSnapshot(3, CS, new Uint8Array([9]));
  s.compact(3);
  assert.equal(s.firstIndex(), 4);
  assert.equal(s.term(3), 2);
  assert.equal(s.entries(4, 5, Infinity).length, 1);
});

test("memory storage: entries are limited by size but never empty", () => {
  const s = new MemoryStorage();
  s.append([e(1, 1), e(1, 2), e(1, 3)]);
  assert.equal(s.entries(1, 4, 1).length, 1);
  assert.equal(s.entries(1, 4, 40).length, 2);
});

test("raft log: unstable entries shadow storage until they are stable", () => {
  const s = bootstrapStorage(CS, 1);
  s.append([e(1, 2), e(1, 3)]);
  const log = new RaftLog(s);
  log.append([e(2, 3), e(2, 4)]); // replaces 3 in the unstable part
  assert.equal(log.term(3), 2);
  assert.equal(log.lastIndex(), 4);
  assert.deepEqual(log.unstableEntries().map((x) => x.index), [3, 4]);
  s.append(log.unstableEntries());
  log.stableTo(4, 2);
  assert.equal(log.unstableEntries().length, 0);
  assert.equal(log.term(4), 2);
});

test("raft log: findConflictByTerm skips whole terms", () => {
  const s = bootstrapStorage(CS, 1);
  s.append([e(1, 2), e(3, 3), e(3, 4), e(5, 5), e(5, 6)]);
  const log = new RaftLog(s);
  assert.deepEqual(log.findConflictByTerm(6, 4), [4, 3]);
  assert.deepEqual(log.findConflictByTerm(6, 2), [2, 1]);
  assert.deepEqual(log.findConflictByTerm(6, 9), [6, 5]);
});

test("raft log: commits only move forward and only to current-term entries by counting", () => {
  const s = bootstrapStorage(CS, 1);
  s.append([e(1, 2), e(2, 3)]);
  const log = new RaftLog(s);
  assert.equal(log.maybeCommit(2, 2), false); // entry 2 has term 1
  assert.equal(log.maybeCommit(3, 2), true);
  log.commitTo(1);
  assert.equal(log.committed, 3);
});
