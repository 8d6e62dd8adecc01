/**
 * Record payloads of the multi-region Raft log (multi_log_store.ts,
 * docs/raft.md "Multi-region log"): the region id as a varint, then either one
 * or more records of the single-group log (log_codec.ts, kinds 1-5, same
 * bytes, back to back) or the kind below alone. A driver round writes one
 * payload per region (its snapshot marker, entries and hard state together),
 * so each region costs one record header and one checksum per round.
 * Written to disk: never renumber, never reuse.
 */
import { ByteReader, type ByteWriter, DecodeError } from "../util/coding.ts";
import type { Entry } from "./core/messages.ts";
import { type LogRecord, LogRecordKind, readLogRecord, writeLogRecord } from "./log_codec.ts";

/** The region left this node (merged away, or its replica moved): forget all earlier records. */
export const REGION_REMOVED_KIND = 6;

/** One payload: a region's records (one or more, in order), or its removal. */
export type MultiLogRecord =
  | { readonly region: number; readonly removed: false; readonly recs: readonly LogRecord[] }
  | { readonly region: number; readonly removed: true };

/** Decodes a payload; throws DecodeError on bytes that are not exactly valid records. */
export function decodeMultiLogRecord(bytes: Uint8Array): MultiLogRecord {
  const r = new ByteReader(bytes);
  const region = r.varint();
  if (bytes[r.offset] === REGION_REMOVED_KIND) {
    r.u8();
    if (r.remaining !== 0) throw new DecodeError("bytes after a region removal", r.offset);
    return { region, removed: true };
  }
  const recs: LogRecord[] = [];
  do recs.push(readLogRecord(r)); while (r.remaining > 0);
  return { region, removed: false, recs };
}

/**
 * Frames a region's records into payloads of about `maxBytes` (a payload
 * holds at least one record; a region's large batch of entries is split
 * into runs, one entry larger than `maxBytes` alone in its own), handing each
 * to `emit` (a view into `w`, valid until `w` is used again). The record of an entry larger
 * than `maxBytes` is emitted as its head and, as `tail`, the entry's data itself: the payload is
 * the two one after the other, and the data is not copied into `w` (a 100 MiB value was, into a
 * buffer of 113 MiB, then framed into another).
 */
export function encodeRegionRecords(
  w: ByteWriter,
  region: number,
  recs: readonly LogRecord[],
  maxBytes: number,
  emit: (payload: Uint8Array, tail?: Uint8Array) => void,
): void {
  w.reset();
  w.varint(region);
  const head = w.length;
  for (const rec of recs) {
    const parts: LogRecord[] = rec.kind === LogRecordKind.Entries
      ? entryRuns(rec.entries, maxBytes).map((entries) => ({ kind: rec.kind, entries }))
      : [rec];
    for (const part of parts) {
      const large = part.kind === LogRecordKind.Entries && part.entries.length === 1 &&
          entryRecordBytes(part.entries[0]) > maxBytes
        ? part.entries[0]
        : undefined;
      if (w.length > head && (large !== undefined || w.length + partBytes(part) > maxBytes)) {
        emit(w.view());
        w.reset();
        w.varint(region);
      }
      if (large === undefined) {
        writeLogRecord(w, part);
        continue;
      }
      // writeLogRecord's layout of one entry, its data left out of `w`.
      w.u8(LogRecordKind.Entries).varint(1).varint(large.term).varint(large.index).u8(large.type);
      emit(w.varint(large.data.length).view(), large.data);
      w.reset();
      w.varint(region);
    }
  }
  if (w.length > head) emit(w.view());
}

/** The payload of a region's removal. */
export function encodeRegionRemoved(w: ByteWriter, region: number): Uint8Array {
  w.reset();
  return w.varint(region).u8(REGION_REMOVED_KIND).view();
}

function partBytes(rec: LogRecord): number {
  if (rec.kind !== LogRecordKind.Entries) return 64;
  let n = 0;
  for (const e of rec.entries) n += entryRecordBytes(e);
  return n;
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
export function entryRuns(entries: readonly Entry[], maxBytes: number): (readonly Entry[])[] {
  if (entries.length <= 1) return [entries];
  const runs: (readonly Entry[])[] = [];
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
