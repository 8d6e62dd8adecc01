/**
 * An open handle on a simulated file (sim_file_system.ts). A crash of the
 * file system invalidates every handle opened before it, as a power loss
 * ends the process that held them.
 */
import { IoError } from "../../util/errors.ts";
import type { File } from "../types.ts";
import type { Inode } from "./sim_inode.ts";
import type { SimFileSystem } from "./sim_file_system.ts";

export class SimFile implements File {
  #closed = false;
  readonly #crashEpoch: number;

  constructor(
    readonly fs: SimFileSystem,
    readonly path: string,
    readonly inode: Inode,
    readonly readOnly: boolean,
  ) {
    this.#crashEpoch = fs.crashCount;
  }

  #check(writing: boolean): void {
    if (this.#closed) throw new IoError(`File is closed: ${this.path}`);
    if (this.fs.crashCount !== this.#crashEpoch) {
      throw new IoError(`File handle invalidated by crash: ${this.path}`);
    }
    if (writing && this.readOnly) throw new IoError(`File is read-only: ${this.path}`);
  }

  size(): number {
    this.#check(false);
    return this.inode.size;
  }

  read(offset: number, length: number): Uint8Array {
    this.#check(false);
    const end = Math.min(this.inode.size, offset + length);
    const out = offset < end ? this.inode.bytes.slice(offset, end) : new Uint8Array(0);
    this.fs.readCorrupted(out);
    return out;
  }

  readInto(into: Uint8Array, offset: number): number {
    const bytes = this.read(offset, into.length);
    into.set(bytes);
    return bytes.length;
  }

  write(offset: number, data: Uint8Array): void {
    this.#check(true);
    const extra = Math.max(0, offset + data.length - this.inode.size);
    const room = this.fs.roomBytes();
    if (extra > room) {
      // Like a real disk: the part that fits is written, the rest fails.
      const fits = data.length - (extra - room);
      if (fits > 0) this.inode.write(offset, data.subarray(0, fits));
      this.fs.checkSpace(extra, this.path);
    }
    this.inode.write(offset, data);
  }

  append(data: Uint8Array): void {
    this.write(this.inode.size, data);
  }

  truncate(size: number): void {
    this.#check(true);
    this.fs.checkSpace(Math.max(0, size - this.inode.size), this.path);
    this.inode.truncate(size);
  }

  sync(): Promise<void> {
    this.#check(false);
    return this.fs.syncFile(this.path, this.inode);
  }

  close(): void {
    this.#closed = true;
  }
}
