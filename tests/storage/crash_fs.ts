/**
 * A FileSystem wrapper that "kills the process" at the N-th mutating call:
 * it crashes the simulated disk (un-synced data lost or torn) and from then
 * on every call through it throws, as if the process were gone. It records
 * which file the crash interrupted, to show which phase was hit.
 */
import type { CrashMode, SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import type { File, FileStat, FileSystem, OpenOptions } from "../../src/platform/types.ts";
import { IoError } from "../../src/util/errors.ts";

export class CrashFs implements FileSystem {
  #left: number;
  crashed = false;
  crashedAt = "";
  /** Stack at the crash: which engine job was interrupted. */
  crashStack = "";

  constructor(readonly sim: SimFileSystem, crashAfter: number, readonly mode: CrashMode) {
    this.#left = crashAfter;
  }

  /** Counts one mutating call on `what`; crashes when the budget runs out. */
  tick(what: string): void {
    if (this.crashed) throw new IoError("process is dead (simulated crash)");
    if (--this.#left > 0) return;
    this.crash(what);
    throw new IoError(`simulated crash during ${what}`);
  }

  crash(what: string): void {
    if (this.crashed) return;
    this.crashed = true;
    this.crashedAt = what;
    this.crashStack = new Error("crash point").stack ?? "";
    this.sim.crash(this.mode);
  }

  #alive(): void {
    if (this.crashed) throw new IoError("process is dead (simulated crash)");
  }

  open(path: string, options?: OpenOptions): File {
    if (options?.create) this.tick(`create ${path}`);
    else this.#alive();
    return new CrashFile(this, this.sim.open(path, options));
  }
  readFile(path: string): Uint8Array {
    this.#alive();
    return this.sim.readFile(path);
  }
  rename(from: string, to: string): void {
    this.tick(`rename ${to}`);
    this.sim.rename(from, to);
  }
  remove(path: string): void {
    this.tick(`remove ${path}`);
    this.sim.remove(path);
  }
  list(dir: string): string[] {
    this.#alive();
    return this.sim.list(dir);
  }
  mkdir(path: string): void {
    this.#alive();
    this.sim.mkdir(path);
  }
  async syncDir(path: string): Promise<void> {
    this.tick(`syncdir ${path}`);
    await this.sim.syncDir(path);
    if (this.crashed) throw new IoError("process is dead (simulated crash)");
  }
  stat(path: string): FileStat | undefined {
    this.#alive();
    return this.sim.stat(path);
  }
}

class CrashFile implements File {
  constructor(readonly fs: CrashFs, readonly inner: File) {}
  get path(): string {
    return this.inner.path;
  }
  size(): number {
    return this.inner.size();
  }
  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }
  readInto(into: Uint8Array, offset: number): number {
    return this.inner.readInto(into, offset);
  }
  write(offset: number, data: Uint8Array): void {
    this.fs.tick(`write ${this.path}`);
    this.inner.write(offset, data);
  }
  append(data: Uint8Array): void {
    this.fs.tick(`append ${this.path}`);
    this.inner.append(data);
  }
  truncate(size: number): void {
    this.fs.tick(`truncate ${this.path}`);
    this.inner.truncate(size);
  }
  async sync(): Promise<void> {
    this.fs.tick(`sync ${this.path}`);
    await this.inner.sync();
    if (this.fs.crashed) throw new IoError("process is dead (simulated crash)");
  }
  close(): void {
    if (!this.fs.crashed) this.inner.close();
  }
}
