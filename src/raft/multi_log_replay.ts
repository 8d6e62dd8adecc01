/**
 * Recovery of the multi-region log (multi_log_store.ts): reads every segment
 * once (log_segments.ts cuts the torn tail of the last one; damage elsewhere
 * is a CorruptionError), sorts the records by region, replays each region's
 * records with the single log's rules (log_replay.ts), and rebuilds each
 * region's index of the segments it needs (multi_log_index.ts).
 */
import type { FileSystem } from "../platform/types.ts";
import { CorruptionError, errorMessage } from "../util/errors.ts";
import { MULTI_LOG_REGIONS_MAX } from "../limits_ops.ts";
import { type LogRecord, LogRecordKind } from "./log_codec.ts";
import { replay, type ReplayedState } from "./log_replay.ts";
import { readSegmentFiles } from "./log_segments.ts";
import { decodeMultiLogRecord, type MultiLogRecord } from "./multi_log_codec.ts";
import { RegionIndex } from "./multi_log_index.ts";

export interface ReplayedRegion {
  readonly state: ReplayedState;
  readonly index: RegionIndex;
}

export interface ReplayedMultiLog {
  /** Sequence numbers of the segment files, oldest first. */
  readonly seqs: number[];
  readonly regions: Map<number, ReplayedRegion>;
}

interface Pending {
  readonly records: LogRecord[];
  readonly index: RegionIndex;
  markerIndex: number;
}

export async function replayMultiLog(fs: FileSystem, dir: string): Promise<ReplayedMultiLog> {
  const files = await readSegmentFiles(fs, dir);
  const pending = new Map<number, Pending>();
  for (const file of files) {
    for (const raw of file.records) {
      const m = decodeOrThrow(raw.payload, file.path, raw.offset);
      if (m.removed) {
        pending.delete(m.region);
        continue;
      }
      let p = pending.get(m.region);
      if (p === undefined) {
        if (pending.size >= MULTI_LOG_REGIONS_MAX) {
          const why = `more than MULTI_LOG_REGIONS_MAX = ${MULTI_LOG_REGIONS_MAX} regions`;
          throw new CorruptionError(file.path, raw.offset, why);
        }
        pending.set(m.region, p = { records: [], index: new RegionIndex(), markerIndex: 0 });
      }
      for (const rec of m.recs) {
        note(p, rec, file.seq);
        p.records.push(rec);
      }
    }
  }
  const regions = new Map<number, ReplayedRegion>();
  for (const [id, p] of pending) {
    const state = replay(p.records);
    p.index.dropCovered(state.snapshot.index);
    regions.set(id, { state, index: p.index });
  }
  return { seqs: files.map((f) => f.seq), regions };
}

/** Updates the region's index with a record found in segment `seq` (what replay will keep). */
function note(p: Pending, rec: LogRecord, seq: number): void {
  const idx = p.index;
  switch (rec.kind) {
    case LogRecordKind.Entries: {
      const last = rec.entries[rec.entries.length - 1];
      if (last !== undefined) idx.noteEntries(seq, last.index);
      break;
    }
    case LogRecordKind.HardState:
      idx.hardStateSeq = seq;
      break;
    case LogRecordKind.ConfState:
      idx.confStateSeq = seq;
      break;
    case LogRecordKind.Snapshot:
    case LogRecordKind.SnapshotInstall:
      // Replay ignores a marker at or below the current one (a repeated checkpoint).
      if (rec.metadata.index < p.markerIndex) break;
      if (rec.kind === LogRecordKind.SnapshotInstall && rec.metadata.index > p.markerIndex) {
        idx.noteInstall(seq);
      } else {
        idx.markerSeq = seq;
      }
      p.markerIndex = rec.metadata.index;
      break;
  }
}

function decodeOrThrow(payload: Uint8Array, path: string, offset: number): MultiLogRecord {
  try {
    return decodeMultiLogRecord(payload);
  } catch (err) {
    throw new CorruptionError(path, offset, `bad multi-region log record: ${errorMessage(err)}`);
  }
}
