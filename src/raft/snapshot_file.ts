/**
 * Snapshot files of the durable Raft log: `snap-<index>.snap`, two records of
 * the checksummed record format — the metadata (a Snapshot log record) and
 * the state machine image. Written with the crash-safe recipe: temp file,
 * fsync, rename, fsync of the directory.
 */
import { ByteWriter } from "../util/coding.ts";
import { CorruptionError } from "../util/errors.ts";
import { readAllRecords, RecordWriter } from "../util/record_format.ts";
import type { FileSystem } from "../platform/types.ts";
import type { Snapshot } from "./core/messages.ts";
import { decodeLogRecord, encodeLogRecord, LogRecordKind } from "./log_codec.ts";

export function snapshotFileName(index: number): string {
  return `snap-${String(index).padStart(16, "0")}.snap`;
}

export async function writeSnapshotFile(
  fs: FileSystem,
  dir: string,
  snap: Snapshot,
): Promise<void> {
  const name = snapshotFileName(snap.metadata.index);
  const tmp = `${dir}/${name}.tmp`;
  const w = new RecordWriter(0);
  w.append(
    encodeLogRecord(new ByteWriter(256), { kind: LogRecordKind.Snapshot, metadata: snap.metadata }),
  );
  w.append(snap.data);
  const f = fs.open(tmp, { create: true, truncate: true });
  try {
    f.append(w.take());
    await f.sync();
  } catch (err) {
    f.close();
    try {
      fs.remove(tmp); // give the space back (a full disk is retried later)
    } catch {
      // Already gone (power lost meanwhile): nothing to give back.
    }
    throw err;
  }
  f.close();
  fs.rename(tmp, `${dir}/${name}`);
  await fs.syncDir(dir);
}

export function readSnapshotFile(fs: FileSystem, dir: string, index: number): Snapshot {
  const path = `${dir}/${snapshotFileName(index)}`;
  const { records, tornTail } = readAllRecords(fs.readFile(path), path);
  const [meta, data] = records;
  if (tornTail !== null || meta === undefined || data === undefined) {
    throw new CorruptionError(path, tornTail?.offset ?? 0, "incomplete snapshot file");
  }
  const rec = decodeLogRecord(meta.payload);
  if (rec.kind !== LogRecordKind.Snapshot || rec.metadata.index !== index) {
    throw new CorruptionError(path, meta.offset, "snapshot metadata does not match its name");
  }
  return { metadata: rec.metadata, data: data.payload.slice() };
}
