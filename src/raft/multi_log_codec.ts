/**
 * Record payloads of the multi-region Raft log (multi_log_store.ts,
 * docs/raft.md "Multi-region log"): the region id as a varint, then either one
 * record of the single-group log (log_codec.ts, kinds 1-5, same bytes) or the
 * kind below. Written to disk: never renumber, never reuse.
 */
import { ByteReader, type ByteWriter, DecodeError } from "../util/coding.ts";
import type { Entry } from "./core/messages.ts";
import { type LogRecord, readLogRecord, writeLogRecord } from "./log_codec.ts";

/** The region left this node (merged away, or its replica moved): forget all earlier records. */
export const REGION_REMOVED_KIND = 6;

export type MultiLogRecord =
  | { readonly region: number; readonly rec: LogRecord }
  | { readonly region: number; readonly rec: { readonly kind: typeof REGION_REMOVED_KIND } };

/** Encodes into `w` (reset first); the view is valid until `w` is used again. */
export function encodeMultiLogRecord(w: ByteWriter, m: MultiLogRecord): Uint8Array {
  w.reset();
  w.varint(m.region);
  if (m.rec.kind === REGION_REMOVED_KIND) w.u8(REGION_REMOVED_KIND);
  else writeLogRecord(w, m.rec);
  return w.view();
}

/** Decodes a record; throws DecodeError on bytes that are not exactly one valid record. */
export function decodeMultiLogRecord(bytes: Uint8Array): MultiLogRecord {
  const r = new ByteReader(bytes);
  const region = r.varint();
  let out: MultiLogRecord;
  if (bytes[r.offset] === REGION_REMOVED_KIND) {
    r.u8();
    out = { region, rec: { kind: REGION_REMOVED_KIND } };
  } else {
    out = { region, rec: readLogRecord(r) };
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the record`, r.offset);
  return out;
}

/** Bytes an entry takes in an Entries record (upper bound: varints at their longest). */
export function entryRecordBytes(e: Entry): number {
  return 8 + 8 + 1 + 5 + e.data.length;
}

/**
 * Splits a region's entries into runs of at most `maxBytes` encoded bytes
 * (one entry larger than that gets a record of its own), so one region's
 * large batch never makes one huge record. Consecutive runs replay as one
 * append: each starts right after the last.
 */
export function entryRuns(entries: readonly Entry[], maxBytes: number): Entry[][] {
  const runs: Entry[][] = [];
  let run: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const n = entryRecordBytes(e);
    if (run.length > 0 && bytes + n > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(e);
    bytes += n;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
