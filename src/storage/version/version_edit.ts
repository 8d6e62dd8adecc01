/**
 * Version edits: the records of the manifest. Layout in
 * docs/formats.md#manifest:
 *
 *   edit  := field*
 *   field := tag:varint payload    (payload per tag, below)
 *
 * A manifest starts with an edit that lists every live file, followed by one
 * edit per flush or compaction.
 */
import { ByteReader, ByteWriter, DecodeError } from "../../util/coding.ts";
import { CorruptionError } from "../../util/errors.ts";
import { KEY_BYTES_MAX } from "../../limits.ts";
import { readTrailerSeq, TRAILER_BYTES } from "../internal_key.ts";
import type { BlobFileMeta } from "../blob/blob_writer.ts";

/** Edit field tags. Written to disk: never renumber, never reuse. */
export const EditTag = {
  // 1: reserved (leveldb's comparator name; TinyKV has one fixed ordering).
  LogNumber: 2, // varint: WALs below this number are no longer needed
  NextFileNumber: 3, // varint
  LastSequence: 4, // varint
  CompactPointer: 5, // level:varint key:length-prefixed internal key
  DeletedFile: 6, // level:varint number:varint
  NewFile: 7, // level:varint number:varint size:varint smallest largest (length-prefixed)
  // A table holding blob references: NewFile's fields, then blobBytes:varint count:varint and
  // the blob file numbers it references, ascending, each as its difference from the one before.
  NewFileWithBlobs: 8,
  BlobFile: 9, // number:varint size:varint count:varint (a blob file added)
  BlobGarbage: 10, // number:varint bytes:varint (bytes of a blob file's records now unreferenced)
} as const;

export const NUM_LEVELS = 7;

export interface FileMeta {
  readonly number: number;
  readonly size: number;
  /** Smallest and largest internal keys in the table. */
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
  /** Blob files the table's references point into, ascending (docs/formats.md#blob-files). */
  readonly blobs?: readonly number[];
  /** Bytes of the blob records it references (its values' share of the data's size). */
  readonly blobBytes?: number;
}

export class VersionEdit {
  logNumber: number | undefined;
  nextFileNumber: number | undefined;
  lastSequence: number | undefined;
  readonly compactPointers: [number, Uint8Array][] = [];
  readonly deleted: [number, number][] = [];
  readonly added: [number, FileMeta][] = [];
  readonly blobFiles: BlobFileMeta[] = [];
  /** Blob file number, bytes of its records no longer referenced by this edit's tables. */
  readonly blobGarbage: [number, number][] = [];

  encode(): Uint8Array {
    const w = new ByteWriter(256);
    if (this.logNumber !== undefined) w.varint(EditTag.LogNumber).varint(this.logNumber);
    if (this.nextFileNumber !== undefined) {
      w.varint(EditTag.NextFileNumber).varint(this.nextFileNumber);
    }
    if (this.lastSequence !== undefined) w.varint(EditTag.LastSequence).varint(this.lastSequence);
    for (const [level, key] of this.compactPointers) {
      w.varint(EditTag.CompactPointer).varint(level).lengthPrefixed(key);
    }
    for (const [level, n] of this.deleted) w.varint(EditTag.DeletedFile).varint(level).varint(n);
    for (const b of this.blobFiles) {
      w.varint(EditTag.BlobFile).varint(b.number).varint(b.size).varint(b.count);
    }
    for (const [level, f] of this.added) {
      const blobs = f.blobs ?? [];
      const tag = blobs.length > 0 ? EditTag.NewFileWithBlobs : EditTag.NewFile;
      w.varint(tag).varint(level).varint(f.number).varint(f.size);
      w.lengthPrefixed(f.smallest).lengthPrefixed(f.largest);
      if (blobs.length === 0) continue;
      w.varint(f.blobBytes ?? 0).varint(blobs.length);
      let prev = 0;
      for (const n of blobs) {
        w.varint(n - prev);
        prev = n;
      }
    }
    for (const [n, bytes] of this.blobGarbage) {
      w.varint(EditTag.BlobGarbage).varint(n).varint(bytes);
    }
    return w.finish();
  }

  static decode(payload: Uint8Array, file: string, offset: number): VersionEdit {
    const e = new VersionEdit();
    const r = new ByteReader(payload);
    try {
      while (r.remaining > 0) decodeField(r, e);
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new CorruptionError(file, offset, `bad version edit: ${err.message}`);
      }
      throw err;
    }
    return e;
  }
}

function level(r: ByteReader): number {
  const at = r.offset;
  const l = r.varint();
  if (l >= NUM_LEVELS) throw new DecodeError(`level ${l}`, at);
  return l;
}

function internalKey(r: ByteReader): Uint8Array {
  const at = r.offset;
  const k = r.lengthPrefixed(KEY_BYTES_MAX + TRAILER_BYTES).slice();
  if (k.length < TRAILER_BYTES || readTrailerSeq(k, k.length - TRAILER_BYTES) < 0) {
    throw new DecodeError("bad internal key", at);
  }
  return k;
}

function decodeField(r: ByteReader, e: VersionEdit): void {
  const at = r.offset;
  const tag = r.varint();
  switch (tag) {
    case EditTag.LogNumber:
      e.logNumber = r.varint();
      return;
    case EditTag.NextFileNumber:
      e.nextFileNumber = r.varint();
      return;
    case EditTag.LastSequence:
      e.lastSequence = r.varint();
      return;
    case EditTag.CompactPointer:
      e.compactPointers.push([level(r), internalKey(r)]);
      return;
    case EditTag.DeletedFile:
      e.deleted.push([level(r), r.varint()]);
      return;
    case EditTag.NewFile:
    case EditTag.NewFileWithBlobs: {
      const l = level(r);
      const number = r.varint();
      const size = r.varint();
      const smallest = internalKey(r), largest = internalKey(r);
      if (tag === EditTag.NewFile) {
        e.added.push([l, { number, size, smallest, largest }]);
        return;
      }
      const blobBytes = r.varint();
      const count = r.varint();
      if (count === 0 || count > r.remaining) throw new DecodeError(`blob count ${count}`, at);
      const blobs: number[] = [];
      let prev = 0;
      for (let i = 0; i < count; i++) {
        const d = r.varint();
        if (d === 0 && i > 0) throw new DecodeError("blob numbers not ascending", at);
        blobs.push(prev += d);
      }
      e.added.push([l, { number, size, smallest, largest, blobs, blobBytes }]);
      return;
    }
    case EditTag.BlobFile:
      e.blobFiles.push({ number: r.varint(), size: r.varint(), count: r.varint() });
      return;
    case EditTag.BlobGarbage:
      e.blobGarbage.push([r.varint(), r.varint()]);
      return;
    default:
      throw new DecodeError(`unknown edit tag ${tag}`, at);
  }
}
