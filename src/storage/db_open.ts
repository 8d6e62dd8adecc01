/**
 * Opening a database (leveldb doc/impl.md "Recovery"): read CURRENT and the
 * manifest, replay the WALs newer than the manifest's log number (cutting a
 * torn tail), start a fresh manifest and WAL, write the replayed data as a
 * level-0 table, then run the one garbage-collection step.
 */
import type { FileSystem } from "../platform/types.ts";
import { flushImmutable } from "./background.ts";
import { DbState } from "./db_state.ts";
import { collectGarbage } from "./gc.ts";
import { Memtable } from "./memtable/memtable.ts";
import type { ResolvedOptions } from "./options.ts";
import { join, parseFileName, walName } from "./version/file_names.ts";
import { VersionEdit } from "./version/version_edit.ts";
import { VersionSet } from "./version/version_set.ts";
import { replayWal } from "./wal/wal_reader.ts";
import { walPrealloc, WalWriter } from "./wal/wal_writer.ts";

export async function openState(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
): Promise<DbState> {
  fs.mkdir(dir);
  const vs = new VersionSet(fs, dir);
  const { manifest, tornTail, fileBytes } = vs.recover();
  const s = new DbState(fs, dir, options, vs);
  try {
    await recoverInto(s, manifest, tornTail, fileBytes);
  } catch (err) {
    s.worker?.close();
    throw err;
  }
  return s;
}

async function recoverInto(
  s: DbState,
  manifest: string | undefined,
  tornTail: ReturnType<VersionSet["recover"]>["tornTail"],
  fileBytes: number,
): Promise<void> {
  const { fs, dir, options, vs } = s;
  if (manifest !== undefined && tornTail !== null) {
    s.tornTails.push({
      file: manifest,
      offset: tornTail.offset,
      droppedBytes: fileBytes - tornTail.offset,
      reason: tornTail.reason,
    });
  }
  const wals: number[] = [];
  for (const name of fs.list(dir)) {
    const f = parseFileName(name);
    if (f === undefined) continue;
    vs.markUsed(f.number);
    if (f.kind === "wal" && f.number >= vs.logNumber) wals.push(f.number);
  }
  wals.sort((a, b) => a - b);
  const recovered = new Memtable(s.prng.fork(), 0);
  for (const n of wals) {
    const name = walName(n);
    const r = await replayWal(fs, join(dir, name), name, (seq, kind, key, value) => {
      recovered.add(seq, kind, key, value);
    }, recovered.lastSeq);
    if (r.maxSeq > vs.lastSequence) vs.lastSequence = r.maxSeq;
    if (r.torn !== null) s.tornTails.push({ file: name, ...r.torn });
  }
  await vs.writeNewManifest();
  if (options.wal) {
    const n = vs.newFileNumber();
    const file = fs.open(join(dir, walName(n)), { create: true, truncate: true });
    await fs.syncDir(dir);
    s.wal = new WalWriter(file, n, walPrealloc(options.memtableBytes));
    s.mem = new Memtable(s.prng.fork(), n);
  }
  if (recovered.count > 0) {
    s.imm = recovered;
    await flushImmutable(s);
  }
  const edit = new VersionEdit();
  edit.logNumber = s.wal?.number ?? vs.nextFileNumber;
  await vs.logAndApply(edit);
  collectGarbage(s);
}
