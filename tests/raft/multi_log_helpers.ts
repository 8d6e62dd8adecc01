/** Shared helpers of the multi-region log tests. */
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import type { PersistRequest } from "../../src/raft/log_store.ts";
import type { MultiLogStore, RegionLog } from "../../src/raft/multi_log_store.ts";
import { utf8 } from "../../src/util/bytes.ts";

export const CS = {
  voters: [1, 2, 3],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
};

/** Entries from..to of `term`; the data names the region, index and term. */
export function ents(region: number, from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) {
    out.push({ term, index: i, type: EntryType.Normal, data: utf8(`r${region}e${i}t${term}`) });
  }
  return out;
}

/** A save of entries (and a matching hard state) that must be synced. */
export function appendReq(entries: Entry[], term: number, commit: number): PersistRequest {
  return { hardState: { term, vote: 1, commit }, entries, snapshot: undefined, mustSync: true };
}

/** The bootstrap of a new region: a snapshot marker at index 1, term 1. */
export function bootstrapReq(): PersistRequest {
  return {
    hardState: { term: 1, vote: 0, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState: CS }, data: new Uint8Array(0) },
    mustSync: true,
  };
}

/** Bootstraps regions 1..n in one save. */
export async function bootstrapRegions(store: MultiLogStore, n: number): Promise<void> {
  const reqs = new Map<number, PersistRequest>();
  for (let r = 1; r <= n; r++) reqs.set(r, bootstrapReq());
  await store.save(reqs);
}

/** A region's log as comparable text: "index:term:data" per entry. */
export function logOf(view: RegionLog): string[] {
  const s = view.storage;
  if (s.lastIndex() < s.firstIndex()) return [];
  const dec = new TextDecoder();
  return s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map((e) =>
    `${e.index}:${e.term}:${dec.decode(e.data)}`
  );
}
