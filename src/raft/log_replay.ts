/**
 * Rebuilds the Raft state from the records of the durable log, in order:
 * later Entries records replace any earlier entries from their first index
 * on (a truncated conflicting suffix), snapshot markers drop what they cover.
 */
import type { ConfState, Entry, HardState, SnapshotMetadata } from "./core/messages.ts";
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE } from "./core/messages.ts";
import { type LogRecord, LogRecordKind } from "./log_codec.ts";

export interface ReplayedState {
  readonly hardState: HardState;
  readonly confState: ConfState;
  readonly snapshot: SnapshotMetadata;
  /** Contiguous entries after the snapshot. */
  readonly entries: readonly Entry[];
}

export function replay(records: readonly LogRecord[]): ReplayedState {
  let hardState = EMPTY_HARD_STATE;
  let confState = EMPTY_CONF_STATE;
  let snapshot: SnapshotMetadata = { index: 0, term: 0, confState: EMPTY_CONF_STATE };
  let entries: Entry[] = [];
  for (const rec of records) {
    switch (rec.kind) {
      case LogRecordKind.Entries: {
        const first = rec.entries[0];
        if (first === undefined) break;
        entries = entries.filter((e) => e.index < first.index);
        const lastKept = entries[entries.length - 1];
        if (lastKept !== undefined && lastKept.index + 1 !== first.index) entries = [];
        entries.push(...rec.entries);
        break;
      }
      case LogRecordKind.HardState:
        hardState = rec.hardState;
        break;
      case LogRecordKind.ConfState:
        confState = rec.confState;
        break;
      case LogRecordKind.Snapshot:
      case LogRecordKind.SnapshotInstall: {
        const m = rec.metadata;
        // Checkpoints at the start of each segment repeat the current marker.
        if (m.index <= snapshot.index) break;
        // Our own compaction keeps the entries after the snapshot; a snapshot
        // installed from the leader replaces the whole log.
        entries = rec.kind === LogRecordKind.Snapshot
          ? entries.filter((e) => e.index > m.index)
          : [];
        snapshot = m;
        confState = m.confState;
        break;
      }
    }
  }
  entries = entries.filter((e) => e.index > snapshot.index);
  const first = entries[0];
  if (first !== undefined && first.index !== snapshot.index + 1) entries = [];
  // A snapshot holds only committed entries. Its marker can be durable while the
  // hard state written with it was torn away by a crash; the commit index then
  // still covers the snapshot.
  if (hardState.commit < snapshot.index) hardState = { ...hardState, commit: snapshot.index };
  return { hardState, confState, snapshot, entries };
}
