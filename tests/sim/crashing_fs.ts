/**
 * A FileSystem wrapper that can lose power in the middle of an fsync: the
 * underlying SimFileSystem crashes (un-synced writes lost, or the last one
 * torn) and the sync rejects with `SimulatedPowerLoss`. A node that persists a
 * Ready when this happens never sends that Ready's messages (docs/design.md §2.2).
 */
import type { Prng } from "../../src/util/prng.ts";
import type { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import type { File, FileStat, FileSystem, OpenOptions } from "../../src/platform/types.ts";
import { fileWithSync } from "../helpers/sync_hook_fs.ts";

export class SimulatedPowerLoss extends Error {
  override name = "SimulatedPowerLoss";
}

export class CrashingFileSystem implements FileSystem {
  /** Probability that one sync loses power instead of completing. */
  crashRate = 0;

  constructor(readonly inner: SimFileSystem, readonly prng: Prng) {}

  #maybeCrash(): void {
    if (this.crashRate > 0 && this.prng.chance(this.crashRate)) {
      this.inner.crash(this.prng.chance(0.5) ? "tear" : "lose");
      throw new SimulatedPowerLoss("power lost during fsync");
    }
  }

  open(path: string, options?: OpenOptions): File {
    const f = this.inner.open(path, options);
    const sync = async (): Promise<void> => {
      this.#maybeCrash();
      await f.sync();
    };
    return fileWithSync(f, sync);
  }

  readFile(path: string): Uint8Array {
    return this.inner.readFile(path);
  }
  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }
  remove(path: string): void {
    this.inner.remove(path);
  }
  list(dir: string): string[] {
    return this.inner.list(dir);
  }
  mkdir(path: string): void {
    this.inner.mkdir(path);
  }
  async syncDir(path: string): Promise<void> {
    this.#maybeCrash();
    await this.inner.syncDir(path);
  }
  stat(path: string): FileStat | undefined {
    return this.inner.stat(path);
  }
}
