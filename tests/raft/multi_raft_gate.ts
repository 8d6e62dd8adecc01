/** A file system wrapper whose fsyncs wait while a gate is closed (tests of save overlap). */
import type { FileSystem } from "../../src/platform/types.ts";
import { syncHookFs } from "../helpers/sync_hook_fs.ts";

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
    return syncHookFs(inner, async (sync) => {
      this.onSync();
      const gate = this.#gate;
      if (gate !== undefined) {
        this.held++;
        await gate;
        this.held--;
      }
      await sync();
    });
  }
}
