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
import type { RegionDescriptor } from "../../region/descriptor.ts";

/** What applies a region's entries: its KvStateMachine, or its RegionKv (split commands too). */
export interface ApplyTarget {
  readonly appliedIndex: number;
  apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>>;
  /** A RegionKv takes each conf change's descriptor before the entries after it apply. */
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
 *
 * With `region`, a conf change entry writes the region's descriptor: the one the entries before
 * it left (a split among them narrows the range and bumps the version) with the change's
 * replicas and confVer. So the entries before it apply first and it applies in a batch of its
 * own; a replica replaying a split and a conf change together (a restart, a far-behind follower)
 * ends with the descriptor the replicas that applied them apart have.
 */
export async function applyEntries(
  kv: ApplyTarget,
  entries: readonly Entry[],
  o: { readonly collectGarbage?: () => void } = {},
  region?: RegionMembers,
): Promise<Applied> {
  const memberWrites: MemberAddressWrite[] = [];
  const planned = region?.plan(entries, kv.appliedIndex) ?? new Map<number, RegionDescriptor>();
  const outcomes = new Map<number, Uint8Array>();
  let run: ApplyEntry[] = [];
  const flush = async () => {
    if (run.length === 0) return;
    for (const [i, out] of await kv.apply(run)) outcomes.set(i, out);
    run = [];
  };
  for (const e of entries) {
    if (e.type !== EntryType.ConfChange) {
      run.push({ index: e.index, data: e.data.length > 0 ? e.data : null });
      continue;
    }
    const members = memberWritesOf(e.data);
    memberWrites.push(...members);
    const writes = members.map(memberWriteOp);
    const plan = planned.get(e.index);
    if (plan === undefined || region === undefined) {
      run.push({ index: e.index, data: null, writes });
      continue;
    }
    await flush();
    const now = region.descriptor;
    const d = {
      ...now,
      epoch: { ...now.epoch, confVer: plan.epoch.confVer },
      replicas: plan.replicas,
    };
    run.push({ index: e.index, data: null, writes: [...writes, region.write(d)] });
    await flush();
    region.applied(d);
    kv.adopt?.(d);
  }
  await flush();
  const bytes = entries.reduce((n, e) => n + e.data.length, 0);
  if (o.collectGarbage !== undefined && bytes >= LARGE_APPLY_GC_BYTES) o.collectGarbage();
  return { outcomes, memberWrites };
}
