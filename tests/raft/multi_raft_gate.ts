/** A file system wrapper whose fsyncs wait while a gate is closed (tests of save overlap). */
import type { File, FileSystem } from "../../src/platform/types.ts";

export class GatedFs {
  #gate: Promise<void> | undefined;
  #open = () => {};
  /** Fsyncs waiting at the gate now. */
  held = 0;
  /** Called as each fsync starts (before the gate). */
  onSync: () => void = () => {};

  close(): void {
    this.#gate = new Promise((resolve) => this.#open = resolve);
  }

  open(): void {
    this.#gate = undefined;
    this.#open();
  }

  wrap(inner: FileSystem): FileSystem {
    return {
      open: (path, options): File => {
        const f = inner.open(path, options);
        return {
          path: f.path,
          size: () => f.size(),
          read: (o, l) => f.read(o, l),
          readInto: (i, o) => f.readInto(i, o),
          write: (o, d) => f.write(o, d),
          append: (d) => f.append(d),
          truncate: (s) => f.truncate(s),
          close: () => f.close(),
          sync: async () => {
            this.onSync();
            const gate = this.#gate;
            if (gate !== undefined) {
              this.held++;
              await gate;
              this.held--;
            }
            await f.sync();
          },
        };
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
}
