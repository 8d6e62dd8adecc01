/**
 * Hands committed Raft entries to the state machine; a membership entry also writes the
 * address book and the region's descriptor (region_members.ts) in the same batch.
 */
import { type MemberAddressWrite, memberWriteOp } from "../../kv/members.ts";
import type { ApplyEntry } from "../../kv/state_machine.ts";
import { type Entry, EntryType } from "../../raft/core/messages.ts";
import { memberWritesOf } from "../membership/address_book.ts";
import { LARGE_APPLY_GC_BYTES } from "../../limits.ts";
import { type MemberChange, type RegionMembers, withChange } from "./region_members.ts";
import { isRegionEntry } from "../../kv/region_command.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";

/** What applies a region's entries: its KvStateMachine, or its RegionKv (split commands too). */
export interface ApplyTarget {
  readonly appliedIndex: number;
  apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>>;
  /** Takes the descriptor a conf change left (a RegionKv: later splits check its epoch). */
  adopt?(d: RegionDescriptor): void;
}

export interface Applied {
  /** Each command entry's encoded outcome, by index. */
  readonly outcomes: Map<number, Uint8Array>;
  /** The address-book changes of the membership entries among them. */
  readonly memberWrites: MemberAddressWrite[];
  /** Conf change entries applied as no-ops, their change refused (region_membership.ts). */
  readonly refused?: readonly number[];
}

/**
 * `o.collectGarbage` (the platform's, when it has one) runs once entries of
 * LARGE_APPLY_GC_BYTES or more have applied: their copies (the entry, the
 * key's record, its history, the engine batch) are garbage by then.
 *
 * With `region`, a conf change entry that changes the configuration writes the region's descriptor
 * built on the one the entries before it left. When the call holds region commands (splits, routed
 * commands), each such change is applied in a batch of its own and adopted before the entries
 * after it: a split before it narrows the range it writes, and a split after it checks the epoch
 * it set. A restart replays many entries in one call where the leader applied them in several,
 * and every replica must decide each split alike (the simulator found a replayed split refused
 * for the conf version of a change in the same call, and the change's descriptor written with the
 * range from before the call's splits). A call without region commands cannot move the range, so
 * it stays one batch, as before regions.
 */
export interface ApplyOptions {
  readonly collectGarbage?: () => void;
  /**
   * Whether conf changes write the node-wide address book (default true: region 1's, whose
   * membership is the cluster's). Another region's change moves a replica, not a member: its
   * removal must not delete the node's address (after a restart the node could no longer dial
   * it unless told by `--peers` or the node's own hello).
   */
  readonly memberAddresses?: boolean;
}

export async function applyEntries(
  kv: ApplyTarget,
  entries: readonly Entry[],
  o: ApplyOptions = {},
  region?: RegionMembers,
): Promise<Applied> {
  const changes = region?.plan(entries, kv.appliedIndex) ?? new Map<number, MemberChange>();
  if (region !== undefined && changes.size > 0 && entries.some(isRegionCommand)) {
    return await applyApart(kv, entries, o, changes, region);
  }
  const memberWrites: MemberAddressWrite[] = [];
  let d: RegionDescriptor | undefined;
  const outcomes = await kv.apply(entries.map((e) => {
    if (e.type !== EntryType.ConfChange) {
      return { index: e.index, data: e.data.length > 0 ? e.data : null };
    }
    const members = o.memberAddresses === false ? [] : memberWritesOf(e.data);
    memberWrites.push(...members);
    const writes = members.map(memberWriteOp);
    const change = changes.get(e.index);
    if (change !== undefined && region !== undefined) {
      d = withChange(d ?? region.descriptor, change);
      writes.push(region.write(d));
    }
    return { index: e.index, data: null, writes };
  }));
  if (d !== undefined) region?.applied(d);
  collectAfter(entries, o);
  return { outcomes, memberWrites };
}

const isRegionCommand = (e: Entry) => e.type !== EntryType.ConfChange && isRegionEntry(e.data);

function collectAfter(entries: readonly Entry[], o: { readonly collectGarbage?: () => void }) {
  const bytes = entries.reduce((n, e) => n + e.data.length, 0);
  if (o.collectGarbage !== undefined && bytes >= LARGE_APPLY_GC_BYTES) o.collectGarbage();
}

/** `applyEntries` with each change in a batch of its own, adopted before the entries after it. */
async function applyApart(
  kv: ApplyTarget,
  entries: readonly Entry[],
  o: ApplyOptions,
  changes: Map<number, MemberChange>,
  region: RegionMembers,
): Promise<Applied> {
  const memberWrites: MemberAddressWrite[] = [];
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
    const members = o.memberAddresses === false ? [] : memberWritesOf(e.data);
    memberWrites.push(...members);
    const writes = members.map(memberWriteOp);
    const change = changes.get(e.index);
    if (change === undefined) {
      run.push({ index: e.index, data: null, writes });
      continue;
    }
    await flush();
    const d = region.after(change);
    run.push({ index: e.index, data: null, writes: [...writes, region.write(d)] });
    await flush();
    region.applied(d);
    kv.adopt?.(d);
  }
  await flush();
  collectAfter(entries, o);
  return { outcomes, memberWrites };
}
