/**
 * The Raft log's segment files (`log-<16-digit seq>.seg`, docs/raft.md) as
 * recovery reads them: every record of every segment in order, a torn tail
 * of the last segment (a crash mid-write, or its zeros written ahead) cut
 * off, and damage anywhere else reported as a `CorruptionError`.
 */
import type { FileSystem } from "../platform/types.ts";
import { CorruptionError, errorMessage } from "../util/errors.ts";
import { type LogRecord as RawRecord, readAllRecords } from "../util/record_format.ts";
import { decodeLogRecord, type LogRecord, LogRecordKind } from "./log_codec.ts";
import { findValidRecordAfter } from "./tail_check.ts";

const SEGMENT_RE = /^log-(\d{16})\.seg$/;

export function segmentName(seq: number): string {
  return `log-${String(seq).padStart(16, "0")}.seg`;
}

export interface Segment {
  readonly seq: number;
  /** Highest entry index written to this segment (0 if none). */
  maxIndex: number;
}

/** One segment file's records, its torn tail (if it was the last one) already cut. */
export interface SegmentFile {
  readonly seq: number;
  readonly path: string;
  readonly records: readonly RawRecord[];
}

/**
 * Reads the segment files in `dir` in order; cuts the torn tail of the last
 * one (and fsyncs the cut). Damage anywhere else is a `CorruptionError`.
 */
export async function readSegmentFiles(fs: FileSystem, dir: string): Promise<SegmentFile[]> {
  const names = fs.list(dir).filter((n) => SEGMENT_RE.test(n)).sort();
  const out: SegmentFile[] = [];
  for (const [i, name] of names.entries()) {
    const path = `${dir}/${name}`;
    const bytes = fs.readFile(path);
    const { records, tornTail } = readAllRecords(bytes, path);
    if (tornTail !== null) {
      if (i !== names.length - 1) {
        throw new CorruptionError(path, tornTail.offset, `damaged segment: ${tornTail.reason}`);
      }
      if (findValidRecordAfter(bytes, tornTail.offset + 1) !== undefined) {
        // A crash cuts a file short; it does not leave valid records behind damage.
        throw new CorruptionError(path, tornTail.offset, `damaged record: ${tornTail.reason}`);
      }
      // Only the segment being written at crash time can be torn: cut it back.
      const f = fs.open(path);
      f.truncate(tornTail.offset);
      await f.sync();
      f.close();
    }
    out.push({ seq: Number(SEGMENT_RE.exec(name)?.[1] ?? 0), path, records });
  }
  return out;
}

/** Reads the segments in `dir`; cuts the torn tail of the last one (and fsyncs the cut). */
export async function readSegments(
  fs: FileSystem,
  dir: string,
): Promise<{ segments: Segment[]; records: LogRecord[] }> {
  const segments: Segment[] = [];
  const records: LogRecord[] = [];
  for (const file of await readSegmentFiles(fs, dir)) {
    const seg: Segment = { seq: file.seq, maxIndex: 0 };
    for (const r of file.records) {
      const rec = decodeOrThrow(r.payload, file.path, r.offset);
      if (rec.kind === LogRecordKind.Entries && rec.entries.length > 0) {
        seg.maxIndex = Math.max(seg.maxIndex, rec.entries[rec.entries.length - 1]?.index ?? 0);
      }
      records.push(rec);
    }
    segments.push(seg);
  }
  return { segments, records };
}

function decodeOrThrow(payload: Uint8Array, path: string, offset: number): LogRecord {
  try {
    return decodeLogRecord(payload);
  } catch (err) {
    throw new CorruptionError(path, offset, `bad raft log record: ${errorMessage(err)}`);
  }
}
