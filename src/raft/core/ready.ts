/**
 * What the core hands to its driver. The contract, in this order:
 *
 * 1. **Persist** `snapshot` (if any), then `entries` (replacing any stored
 *    suffix they conflict with), then `hardState` (if any) — durably (fsync)
 *    when `mustSync` is true. Nothing in `messages` may leave before this:
 *    votes and append acknowledgements promise that the state is on disk.
 * 2. **Send** `messages`.
 * 3. **Apply** `snapshot` (if any) and then `committedEntries` to the state
 *    machine, in order; for conf change entries also call
 *    `RawNode.applyConfChange`. Serve reads whose `readStates` index is applied.
 * 4. Call `RawNode.advance(ready)`. Only then may `ready()` be called again.
 *
 * Allowed overlaps (docs/raft.md, the driver): a leader whose Ready changes
 * neither term nor vote may send its appends, heartbeats, snapshots,
 * TimeoutNow and ReadIndexResp before persisting, provided peer messages are
 * stepped only once every Ready taken so far is persisted; committed entries
 * that an earlier Ready persisted may be applied while this Ready is
 * persisted; and `advance` may come before the apply of a Ready without conf
 * changes or snapshot, as long as entries are applied in order.
 *
 * A Ready and the entries in it must not be mutated.
 */
import type { Entry, HardState, Message, Snapshot } from "./messages.ts";
import type { ReadState } from "./read_only.ts";
import type { StateType } from "./state_type.ts";

/** Volatile state, reported when it changes; never persisted. */
export interface SoftState {
  readonly lead: number;
  readonly state: StateType;
}

export interface Ready {
  readonly softState: SoftState | undefined;
  /** New hard state to persist, or undefined when unchanged. */
  readonly hardState: HardState | undefined;
  readonly readStates: readonly ReadState[];
  /** Entries to append to stable storage. */
  readonly entries: readonly Entry[];
  /** Snapshot to persist and then restore, or undefined. */
  readonly snapshot: Snapshot | undefined;
  /** Entries committed and ready to apply. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting. */
  readonly messages: readonly Message[];
  /** Whether the persisted state must be fsynced before sending. */
  readonly mustSync: boolean;
}

export type { ReadState };
