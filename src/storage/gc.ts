/**
 * The one garbage-collection step (leveldb "Garbage collection of files"):
 * deletes WALs older than the version's log number, tables that no live or
 * pinned version names and no running job is writing, blob files no such table references
 * (and no running job is writing), old manifests and a leftover CURRENT.tmp. Nothing else in
 * the engine deletes files. With a worker, tables and blob files are unlinked there: freeing a
 * 150 MB table's blocks held the serving thread 150 ms. A file number is never reused, so a
 * late unlink cannot hit a newer file; one left by a crash or a closed worker is removed by the
 * next collection (every open runs one).
 */
import type { DbState } from "./db_state.ts";
import { join, parseFileName } from "./version/file_names.ts";

export function collectGarbage(s: DbState): void {
  const live = s.vs.liveTables();
  const liveBlobs = s.vs.liveBlobs();
  for (const n of s.vs.blobFiles.keys()) if (!liveBlobs.has(n)) s.vs.blobFiles.delete(n);
  const activeWals = new Set<number>();
  if (s.wal !== undefined) activeWals.add(s.wal.number);
  if (s.imm !== undefined) activeWals.add(s.imm.walNumber);
  const worker = s.usableWorker();
  const offThread: string[] = [];
  for (const name of s.fs.list(s.dir)) {
    const f = parseFileName(name);
    if (f === undefined) continue;
    let remove = false;
    switch (f.kind) {
      case "wal":
        remove = f.number < s.vs.logNumber && !activeWals.has(f.number);
        break;
      case "table":
        remove = !live.has(f.number) && !s.pendingOutputs.has(f.number);
        if (remove) s.tables.evict(f.number);
        break;
      case "blob":
        remove = !liveBlobs.has(f.number) && !s.pendingOutputs.has(f.number);
        if (remove) s.blobs.evict(f.number);
        break;
      case "manifest":
        remove = f.number !== s.vs.manifestNumber;
        break;
      case "temp":
        remove = true;
        break;
      case "current":
        break;
    }
    if (!remove) continue;
    if ((f.kind === "table" || f.kind === "blob") && worker !== undefined) {
      offThread.push(join(s.dir, name));
    } else s.fs.remove(join(s.dir, name));
    s.counters.filesDeleted++;
  }
  if (offThread.length > 0) worker?.remove(offThread);
}
