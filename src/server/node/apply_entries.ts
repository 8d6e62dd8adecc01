/** Hands committed Raft entries to the state machine, with membership entries' address writes. */
import type { MemberAddressWrite } from "../../kv/members.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import { type Entry, EntryType } from "../../raft/core/messages.ts";
import { memberWritesOf } from "../membership/address_book.ts";
import { LARGE_APPLY_GC_BYTES } from "../../limits.ts";

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
  kv: KvStateMachine,
  entries: readonly Entry[],
  o: { readonly collectGarbage?: () => void } = {},
): Promise<Applied> {
  const memberWrites: MemberAddressWrite[] = [];
  const outcomes = await kv.apply(entries.map((e) => {
    if (e.type !== EntryType.ConfChange) {
      return { index: e.index, data: e.data.length > 0 ? e.data : null };
    }
    const members = memberWritesOf(e.data);
    memberWrites.push(...members);
    return { index: e.index, data: null, members };
  }));
  const bytes = entries.reduce((n, e) => n + e.data.length, 0);
  if (o.collectGarbage !== undefined && bytes >= LARGE_APPLY_GC_BYTES) o.collectGarbage();
  return { outcomes, memberWrites };
}
