/**
 * What the durable log checks about a save before it writes anything: the
 * invariants the Ready contract promises (core/ready.ts), so that a driver
 * or core bug stops the node instead of becoming a log that replays wrong.
 * Each check is a few comparisons per save, never per byte.
 */
import { assert } from "../util/assert.ts";
import type { Entry, HardState, Snapshot } from "./core/messages.ts";

/** What the log holds before the save. */
export interface StoredLog {
  readonly lastIndex: number;
  readonly hardState: HardState;
}

export interface PersistParts {
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
}

export function checkPersistRequest(req: PersistParts, stored: StoredLog): void {
  const snapIndex = req.snapshot?.metadata.index;
  // A snapshot from the leader replaces the log: what follows builds on it.
  const base = snapIndex ?? stored.lastIndex;
  const committed = Math.max(stored.hardState.commit, snapIndex ?? 0);
  const first = req.entries[0];
  if (first !== undefined) {
    for (let i = 1; i < req.entries.length; i++) {
      const e = req.entries[i];
      if (e.index !== first.index + i) {
        assert(false, `entries not contiguous: ${e.index} at position ${i}`);
      }
    }
    assert(first.index <= base + 1, `entries from ${first.index} leave a gap after ${base}`);
    assert(first.index > committed, `entries from ${first.index} rewrite committed ${committed}`);
  }
  const hs = req.hardState;
  if (hs === undefined) return;
  const prev = stored.hardState;
  assert(hs.term >= prev.term, `term goes back from ${prev.term} to ${hs.term}`);
  assert(
    hs.term > prev.term || prev.vote === 0 || hs.vote === prev.vote,
    `vote changes from ${prev.vote} to ${hs.vote} in term ${hs.term}`,
  );
  const lastAfter = req.entries.length > 0 ? req.entries[req.entries.length - 1].index : base;
  assert(hs.commit <= lastAfter, `commit ${hs.commit} beyond the last index ${lastAfter}`);
}
