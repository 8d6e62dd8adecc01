/**
 * WAL replay at open. A torn tail (the crash interrupted the last append) is
 * cut off at the last whole record and reported; damage followed by valid
 * records is corruption (CorruptionError from the record reader).
 */
import type { FileSystem } from "../../platform/types.ts";
import { readAllRecords } from "../../util/record_format.ts";
import type { ValueKind } from "../internal_key.ts";
import { decodeBatch } from "../write_batch.ts";

export interface WalReplay {
  readonly maxSeq: number;
  readonly records: number;
  /** Set when a torn tail was truncated. */
  readonly torn:
    | { readonly offset: number; readonly droppedBytes: number; readonly reason: string }
    | null;
}

/**
 * Replays one WAL. `afterSeq`: the last sequence replayed before it (from
 * older WALs); every batch must follow the one before, or the log is corrupt.
 */
export async function replayWal(
  fs: FileSystem,
  path: string,
  name: string,
  visit: (seq: number, kind: ValueKind, key: Uint8Array, value: Uint8Array | undefined) => void,
  afterSeq = 0,
): Promise<WalReplay> {
  const bytes = fs.readFile(path);
  const { records, tornTail, validBytes } = readAllRecords(bytes, name);
  let maxSeq = afterSeq;
  for (const r of records) {
    const { firstSeq, count } = decodeBatch(r.payload, name, r.offset, visit, maxSeq);
    if (count > 0) maxSeq = firstSeq + count - 1;
  }
  if (tornTail === null) return { maxSeq, records: records.length, torn: null };
  let zeros = true; // an all-zero tail is preallocated space, not a torn write
  for (let i = validBytes; i < bytes.length && zeros; i++) zeros = bytes[i] === 0;
  const f = fs.open(path);
  try {
    f.truncate(validBytes);
    await f.sync();
  } finally {
    f.close();
  }
  if (zeros) return { maxSeq, records: records.length, torn: null };
  return {
    maxSeq,
    records: records.length,
    torn: { offset: validBytes, droppedBytes: bytes.length - validBytes, reason: tornTail.reason },
  };
}
