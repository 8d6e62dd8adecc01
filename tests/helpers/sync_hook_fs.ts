/**
 * A file system whose file fsyncs go through a hook (tests of what overlaps a slow fsync):
 * everything else passes straight to the inner file system.
 */
import type { File, FileSystem } from "../../src/platform/types.ts";

/** Runs instead of each file's fsync; `sync` does the real one. */
export type SyncHook = (sync: () => Promise<void>) => Promise<void>;

/** `f` with its fsync replaced by `sync`. */
export function fileWithSync(f: File, sync: () => Promise<void>): File {
  return {
    path: f.path,
    size: () => f.size(),
    read: (o, l) => f.read(o, l),
    readInto: (i, o) => f.readInto(i, o),
    write: (o, d) => f.write(o, d),
    append: (d) => f.append(d),
    truncate: (s) => f.truncate(s),
    close: () => f.close(),
    sync,
  };
}

export function syncHookFs(inner: FileSystem, hook: SyncHook): FileSystem {
  return {
    open: (path, options): File => {
      const f = inner.open(path, options);
      return fileWithSync(f, () => hook(() => f.sync()));
    },
    readFile: (p) => inner.readFile(p),
    rename: (a, b) => inner.rename(a, b),
    remove: (p) => inner.remove(p),
    list: (d) => inner.list(d),
    mkdir: (p) => inner.mkdir(p),
    syncDir: (p) => inner.syncDir(p),
    stat: (p) => inner.stat(p),
  };
}
