/**
 * Hands committed Raft entries to the state machine; a membership entry also writes the
 * address book and the region's descriptor (region_members.ts) in the same batch.
 */
import { type MemberAddressWrite, memberWriteOp } from "../../kv/members.ts";
import type { ApplyEntry } from "../../kv/state_machine.ts";
import { type Entry, EntryType } from "../../raft/core/messages.ts";
import { memberWritesOf } from "../membership/address_book.ts";
import { LARGE_APPLY_GC_BYTES } from "../../limits.ts";
import type { EngineWrite } from "../../kv/write_set.ts";
import type { RegionMembers } from "./region_members.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";

/** What applies a region's entries: its KvStateMachine, or its RegionKv (split commands too). */
export interface ApplyTarget {
  readonly appliedIndex: number;
  apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>>;
  /** Takes the descriptor a membership change wrote (a RegionKv: splits check its epoch). */
  adopt?(d: RegionDescriptor): void;
}

export interface Applied {
  /** Each command entry's encoded outcome, by index. */
  readonly outcomes: Map<number, Uint8Array>;
  /** The address-book changes of the membership entries among them. */
  readonly memberWrites: MemberAddressWrite[];
}

/**
 * `o.collectGarbage` (the platform's, when it has one) runs once entries of
 * LARGE_APPLY_GC_BYTES or more have applied: their copies (the entry, the
 * key's record, its history, the engine batch) are garbage by then.
 */
export async function applyEntries(
  kv: ApplyTarget,
  entries: readonly Entry[],
  o: { readonly collectGarbage?: () => void } = {},
  region?: RegionMembers,
): Promise<Applied> {
  const memberWrites: MemberAddressWrite[] = [];
  const outcomes = new Map<number, Uint8Array>();
  const planned = region?.plan(entries, kv.appliedIndex) ?? new Map<number, RegionDescriptor>();
  // A conf change's descriptor is the region's as the entries before it left it: a split among
  // them narrows its range and moves its version. Planned from the batch's start, a replica
  // that applied a split and a later change in one batch (a wiped node replaying the log)
  // wrote the range and version from before the split, and refused every later split as
  // stale while the others applied it. So each planned change is applied on its own, after the
  // entries before it, and its record is the region's descriptor then with the planned
  // replicas and conf version.
  const applyRun = async (run: readonly Entry[], record?: EngineWrite) => {
    const done = await kv.apply(run.map((e) => {
      if (e.type !== EntryType.ConfChange) {
        return { index: e.index, data: e.data.length > 0 ? e.data : null };
      }
      const members = memberWritesOf(e.data);
      memberWrites.push(...members);
      const writes = members.map(memberWriteOp);
      if (record !== undefined) writes.push(record);
      return { index: e.index, data: null, writes };
    }));
    for (const [index, out] of done) outcomes.set(index, out);
  };
  let from = 0;
  for (let i = 0; i < entries.length && region !== undefined; i++) {
    const plan = planned.get(entries[i].index);
    if (plan === undefined) continue;
    if (i > from) await applyRun(entries.slice(from, i));
    from = i + 1;
    const now = region.descriptor;
    const d = {
      ...now,
      epoch: { ...now.epoch, confVer: plan.epoch.confVer },
      replicas: plan.replicas,
    };
    await applyRun([entries[i]], region.write(d));
    region.applied(d);
    kv.adopt?.(d); // a split later in the batch carries the epoch this change made
  }
  if (from < entries.length) await applyRun(entries.slice(from));
  const bytes = entries.reduce((n, e) => n + e.data.length, 0);
  if (o.collectGarbage !== undefined && bytes >= LARGE_APPLY_GC_BYTES) o.collectGarbage();
  return { outcomes, memberWrites };
}
