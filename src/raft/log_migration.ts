/**
 * Opens a node's shared multi-region Raft log (multi_log_store.ts), moving a
 * log written before regions into it first: the single-group log in `raft/`
 * (log_store.ts) becomes region 1's log in `raftlog/` (decision 0014 §3,
 * docs/raft.md "Multi-region log", "From one group to region 1").
 *
 * What moves: the snapshot marker (index, term, configuration), every entry
 * after it, the latest configuration and the hard state. The old snapshot
 * file's data does not: it is a marker too (the image is the engine).
 *
 * Crash safety: the new log is written into `raftlog.tmp/`, reopened and
 * compared with the old one, then renamed to `raftlog/` (one directory entry,
 * made durable by syncing the data directory) before `raft/` is removed. A
 * crash before the rename leaves the old log in charge and the migration runs
 * again (the leftover temporary directory is cleared first); a crash after it
 * leaves a stale `raft/`, which the next open removes.
 */
import type { FileSystem } from "../platform/types.ts";
import { CorruptionError } from "../util/errors.ts";
import type { Entry } from "./core/messages.ts";
import type { MemoryStorage } from "./core/storage.ts";
import { LogStore, type PersistRequest } from "./log_store.ts";
import { type MultiLogOptions, MultiLogStore } from "./multi_log_store.ts";
import { removeTree } from "../platform/fs_tree.ts";

/** The region a store written before regions becomes. */
export const MIGRATED_REGION = 1;
/** Entry bytes written per save while migrating (a record per save, not one huge one). */
const MIGRATION_CHUNK_BYTES = 4 * 1024 * 1024;

export const SINGLE_LOG_DIR = "raft";
export const SHARED_LOG_DIR = "raftlog";

export interface OpenedSharedLog {
  readonly log: MultiLogStore;
  /** Whether a single-group log was moved into it by this open. */
  readonly migrated: boolean;
}

/** Opens `dataDir/raftlog`, migrating `dataDir/raft` into it when only that exists. */
export async function openSharedLog(
  fs: FileSystem,
  dataDir: string,
  opts: MultiLogOptions = {},
): Promise<OpenedSharedLog> {
  const oldDir = `${dataDir}/${SINGLE_LOG_DIR}`;
  const newDir = `${dataDir}/${SHARED_LOG_DIR}`;
  const tmpDir = `${newDir}.tmp`;
  let migrated = false;
  if (fs.stat(newDir) === undefined && fs.stat(oldDir) !== undefined) {
    removeTree(fs, tmpDir);
    await copySingleLog(fs, oldDir, tmpDir, opts);
    fs.rename(tmpDir, newDir);
    await fs.syncDir(dataDir);
    migrated = true;
  }
  if (fs.stat(oldDir) !== undefined) {
    removeTree(fs, oldDir);
    await fs.syncDir(dataDir);
  }
  removeTree(fs, tmpDir);
  return { log: await MultiLogStore.open(fs, newDir, opts), migrated };
}

async function copySingleLog(
  fs: FileSystem,
  oldDir: string,
  tmpDir: string,
  opts: MultiLogOptions,
): Promise<void> {
  const old = await LogStore.open(fs, oldDir);
  try {
    const multi = await MultiLogStore.open(fs, tmpDir, opts);
    try {
      await writeRegion(multi, old.storage);
    } finally {
      multi.close();
    }
    const check = await MultiLogStore.open(fs, tmpDir, opts);
    try {
      compareLogs(tmpDir, old.storage, check.group(MIGRATED_REGION).storage);
    } finally {
      check.close();
    }
  } finally {
    old.close();
  }
}

/** Writes the old log's state as region 1: marker and entries in chunks, then the hard state. */
async function writeRegion(multi: MultiLogStore, s: MemoryStorage): Promise<void> {
  const snap = s.snapshot();
  const hasMarker = snap.metadata.index > 0;
  const entries = s.lastIndex() >= s.firstIndex()
    ? s.entries(s.firstIndex(), s.lastIndex() + 1, Number.MAX_SAFE_INTEGER)
    : [];
  if (!hasMarker && entries.length === 0 && s.hardState.term === 0) return; // never started
  const save = (req: PersistRequest) => multi.save(new Map([[MIGRATED_REGION, req]]));
  let first = true;
  for (const chunk of chunks(entries)) {
    const snapshot = first && hasMarker ? { metadata: snap.metadata, data: snap.data } : undefined;
    await save({ hardState: undefined, entries: chunk, snapshot, mustSync: true });
    first = false;
  }
  if (first && hasMarker) {
    const snapshot = { metadata: snap.metadata, data: snap.data };
    await save({ hardState: undefined, entries: [], snapshot, mustSync: true });
  }
  multi.setConfState(MIGRATED_REGION, s.confState);
  await save({ hardState: s.hardState, entries: [], snapshot: undefined, mustSync: true });
}

function* chunks(entries: readonly Entry[]): Generator<readonly Entry[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    bytes += entries[i].data.length + 32;
    if (bytes >= MIGRATION_CHUNK_BYTES) {
      yield entries.slice(start, i + 1);
      start = i + 1;
      bytes = 0;
    }
  }
  if (start < entries.length) yield entries.slice(start);
}

/** The migrated log must read back as the old one did; otherwise the old one stays. */
function compareLogs(dir: string, a: MemoryStorage, b: MemoryStorage): void {
  const same = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      const why = `the migrated ${what} differs: ${JSON.stringify(y)}, was ${JSON.stringify(x)}`;
      throw new CorruptionError(dir, 0, why);
    }
  };
  const ma = a.snapshot().metadata, mb = b.snapshot().metadata;
  same("snapshot index", ma.index, mb.index);
  same("snapshot term", ma.term, mb.term);
  same("hard state", a.hardState, b.hardState);
  same("configuration", a.confState, b.confState);
  same("first index", a.firstIndex(), b.firstIndex());
  same("last index", a.lastIndex(), b.lastIndex());
  for (let i = a.firstIndex(); i <= a.lastIndex(); i++) {
    same(`term of ${i}`, a.term(i), b.term(i));
  }
}
