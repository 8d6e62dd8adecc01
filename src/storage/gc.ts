/**
 * The one garbage-collection step (leveldb "Garbage collection of files"):
 * deletes WALs older than the version's log number, tables that no live or
 * pinned version names and no running job is writing, old manifests and a
 * leftover CURRENT.tmp. Nothing else in the engine deletes files.
 */
import type { DbState } from "./db_state.ts";
import { join, parseFileName } from "./version/file_names.ts";

export function collectGarbage(s: DbState): void {
  const live = s.vs.liveTables();
  const activeWals = new Set<number>();
  if (s.wal !== undefined) activeWals.add(s.wal.number);
  if (s.imm !== undefined) activeWals.add(s.imm.walNumber);
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
      case "manifest":
        remove = f.number !== s.vs.manifestNumber;
        break;
      case "temp":
        remove = true;
        break;
      case "current":
        break;
    }
    if (remove) {
      s.fs.remove(join(s.dir, name));
      s.counters.filesDeleted++;
    }
  }
}
