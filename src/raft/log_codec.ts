/**
 * Record payloads of the durable Raft log (see log_store.ts and docs/raft.md).
 * Each record of the shared checksummed record format holds one of these,
 * tagged by its first byte. Written to disk: never renumber, never reuse.
 */
import { ByteReader, ByteWriter, DecodeError } from "../util/coding.ts";
// An entry travels in one frame, so no stored entry can be larger.
import { FRAME_BYTES_MAX } from "../limits.ts";
import type { ConfState, Entry, HardState, SnapshotMetadata } from "./core/messages.ts";

export const LogRecordKind = {
  /** varint count, then per entry: varint term, varint index, u8 type, bytes data. */
  Entries: 1,
  /** varint term, varint vote, varint commit. */
  HardState: 2,
  /** The configuration as of the last applied conf change. */
  ConfState: 3,
  /**
   * Our own compaction (or a segment checkpoint): a snapshot file at (index,
   * term) is durable; entries up to index are covered, later ones stay.
   */
  Snapshot: 4,
  /** A snapshot from the leader was installed: it replaces the whole log. */
  SnapshotInstall: 5,
} as const;

export type LogRecord =
  | { readonly kind: 1; readonly entries: readonly Entry[] }
  | { readonly kind: 2; readonly hardState: HardState }
  | { readonly kind: 3; readonly confState: ConfState }
  | { readonly kind: 4 | 5; readonly metadata: SnapshotMetadata };

function writeIds(w: ByteWriter, ids: readonly number[]): void {
  w.varint(ids.length);
  for (const id of ids) w.varint(id);
}

function readIds(r: ByteReader): number[] {
  const n = r.varint();
  if (n > r.remaining) throw new DecodeError("id list longer than record", r.offset);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.varint());
  return out;
}

export function writeConfState(w: ByteWriter, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.votersOutgoing);
  writeIds(w, cs.learners);
  writeIds(w, cs.learnersNext);
  w.u8(cs.autoLeave ? 1 : 0);
}

export function readConfState(r: ByteReader): ConfState {
  const voters = readIds(r);
  const votersOutgoing = readIds(r);
  const learners = readIds(r);
  const learnersNext = readIds(r);
  const autoLeave = r.u8() === 1;
  return { voters, votersOutgoing, learners, learnersNext, autoLeave };
}

export function encodeLogRecord(w: ByteWriter, rec: LogRecord): Uint8Array {
  w.reset();
  writeLogRecord(w, rec);
  return w.view();
}

/** Appends a record's bytes to `w` (the multi-region log puts a region id in front). */
export function writeLogRecord(w: ByteWriter, rec: LogRecord): void {
  w.u8(rec.kind);
  switch (rec.kind) {
    case LogRecordKind.Entries:
      w.varint(rec.entries.length);
      for (const e of rec.entries) {
        w.varint(e.term).varint(e.index).u8(e.type).lengthPrefixed(e.data);
      }
      break;
    case LogRecordKind.HardState:
      w.varint(rec.hardState.term).varint(rec.hardState.vote).varint(rec.hardState.commit);
      break;
    case LogRecordKind.ConfState:
      writeConfState(w, rec.confState);
      break;
    case LogRecordKind.Snapshot:
    case LogRecordKind.SnapshotInstall:
      w.varint(rec.metadata.index).varint(rec.metadata.term);
      writeConfState(w, rec.metadata.confState);
      break;
  }
}

/** Decodes a record; throws DecodeError on bytes that are not a valid record. */
export function decodeLogRecord(bytes: Uint8Array): LogRecord {
  return readLogRecord(new ByteReader(bytes));
}

/** Reads one record from `r`; throws DecodeError on bytes that are not a valid record. */
export function readLogRecord(r: ByteReader): LogRecord {
  const kind = r.u8();
  switch (kind) {
    case LogRecordKind.Entries: {
      const n = r.varint();
      if (n > r.remaining) throw new DecodeError("entry count longer than record", r.offset);
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) {
        const term = r.varint();
        const index = r.varint();
        const type = r.u8();
        if (type !== 0 && type !== 1) throw new DecodeError(`entry type ${type}`, r.offset);
        const data = r.lengthPrefixed(FRAME_BYTES_MAX).slice();
        entries.push({ term, index, type, data });
      }
      return { kind, entries };
    }
    case LogRecordKind.HardState:
      return { kind, hardState: { term: r.varint(), vote: r.varint(), commit: r.varint() } };
    case LogRecordKind.ConfState:
      return { kind, confState: readConfState(r) };
    case LogRecordKind.Snapshot:
    case LogRecordKind.SnapshotInstall: {
      const index = r.varint();
      const term = r.varint();
      return { kind, metadata: { index, term, confState: readConfState(r) } };
    }
    default:
      throw new DecodeError(`unknown raft log record kind ${kind}`, 0);
  }
}
