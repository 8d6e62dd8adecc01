/**
 * A pure model of what the multi-region log holds per region, for the crash
 * test: a snapshot of a store's memory, and the effect of each operation on
 * such a snapshot (so a crashed operation's possible outcomes are known).
 */
import type { ConfState } from "../../src/raft/core/messages.ts";
import type { PersistRequest } from "../../src/raft/log_store.ts";
import type { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import { logOf } from "./multi_log_helpers.ts";

export interface RegionModel {
  /** "index:term:data" per entry, first index first. */
  readonly log: readonly string[];
  readonly first: number;
  readonly marker: number;
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
  readonly cs: string;
}

export type Model = ReadonlyMap<number, RegionModel>;

export const EMPTY_REGION: RegionModel = {
  log: [],
  first: 1,
  marker: 0,
  term: 0,
  vote: 0,
  commit: 0,
  cs: JSON.stringify({ voters: [], votersOutgoing: [], learners: [], learnersNext: [] }),
};

function csText(cs: ConfState): string {
  const { voters, votersOutgoing, learners, learnersNext } = cs;
  return JSON.stringify({ voters, votersOutgoing, learners, learnersNext });
}

/** What a store's memory holds, region by region. */
export function modelOf(store: MultiLogStore): Map<number, RegionModel> {
  const out = new Map<number, RegionModel>();
  for (const id of store.regionIds()) {
    const g = store.group(id);
    const { term, vote, commit } = g.hardState;
    const cs = csText(g.confState);
    out.set(id, {
      log: logOf(g),
      first: g.firstIndex(),
      marker: g.snapshotMarker.index,
      term,
      vote,
      commit,
      cs,
    });
  }
  return out;
}

const entryIndex = (e: string) => Number(e.split(":")[0]);

export type Op =
  | { readonly kind: "save"; readonly reqs: ReadonlyMap<number, PersistRequest> }
  | { readonly kind: "compact"; readonly marks: ReadonlyMap<number, number> }
  | { readonly kind: "remove"; readonly ids: readonly number[] }
  | { readonly kind: "conf"; readonly id: number; readonly cs: ConfState };

/** The model after `op` succeeds. */
export function applyOp(m: Model, op: Op): Map<number, RegionModel> {
  const out = new Map(m);
  const dec = new TextDecoder();
  switch (op.kind) {
    case "save":
      for (const [id, req] of op.reqs) {
        let r = out.get(id) ?? EMPTY_REGION;
        const snap = req.snapshot?.metadata;
        if (snap !== undefined && snap.index > r.marker) {
          r = {
            ...r,
            log: [],
            first: snap.index + 1,
            marker: snap.index,
            cs: csText(snap.confState),
          };
        }
        const e0 = req.entries[0];
        if (e0 !== undefined) {
          const kept = r.log.filter((e) => entryIndex(e) < e0.index);
          const added = req.entries.map((e) => `${e.index}:${e.term}:${dec.decode(e.data)}`);
          r = { ...r, log: [...kept, ...added] };
        }
        const hs = req.hardState;
        if (hs !== undefined) r = { ...r, term: hs.term, vote: hs.vote, commit: hs.commit };
        out.set(id, r);
      }
      break;
    case "compact":
      for (const [id, index] of op.marks) {
        const r = out.get(id);
        if (r === undefined || index <= r.marker) continue;
        out.set(id, {
          ...r,
          log: r.log.filter((e) => entryIndex(e) > index),
          first: index + 1,
          marker: index,
        });
      }
      break;
    case "remove":
      for (const id of op.ids) out.delete(id);
      break;
    case "conf": {
      const r = out.get(op.id) ?? EMPTY_REGION;
      out.set(op.id, { ...r, cs: csText(op.cs) });
      break;
    }
  }
  return out;
}

/** Whether `op` is made durable by an fsync of its own (else it rides on the next one). */
export function opSyncs(op: Op): boolean {
  if (op.kind === "conf") return false;
  if (op.kind !== "save") return true;
  return [...op.reqs.values()].some((r) => r.mustSync || r.entries.length > 0 || r.snapshot);
}
