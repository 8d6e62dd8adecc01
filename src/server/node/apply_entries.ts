/**
 * Hands committed Raft entries to the state machine; a membership entry also writes the
 * address book and the region's descriptor (region_members.ts) in the same batch.
 */
import { type MemberAddressWrite, memberWriteOp } from "../../kv/members.ts";
import type { ApplyEntry } from "../../kv/state_machine.ts";
import { type Entry, EntryType } from "../../raft/core/messages.ts";
import { memberWritesOf } from "../membership/address_book.ts";
import { LARGE_APPLY_GC_BYTES } from "../../limits.ts";
import type { RegionMembers } from "./region_members.ts";

/** What applies a region's entries: its KvStateMachine, or its RegionKv (split commands too). */
export interface ApplyTarget {
  readonly appliedIndex: number;
  apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>>;
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
  const descriptors = region?.plan(entries, kv.appliedIndex) ?? new Map();
  const outcomes = await kv.apply(entries.map((e) => {
    if (e.type !== EntryType.ConfChange) {
      return { index: e.index, data: e.data.length > 0 ? e.data : null };
    }
    const members = memberWritesOf(e.data);
    memberWrites.push(...members);
    const writes = members.map(memberWriteOp);
    const d = descriptors.get(e.index);
    if (d !== undefined && region !== undefined) writes.push(region.write(d));
    return { index: e.index, data: null, writes };
  }));
  if (descriptors.size > 0) region?.applied([...descriptors.values()][descriptors.size - 1]);
  const bytes = entries.reduce((n, e) => n + e.data.length, 0);
  if (o.collectGarbage !== undefined && bytes >= LARGE_APPLY_GC_BYTES) o.collectGarbage();
  return { outcomes, memberWrites };
}
