/**
 * FileSystem over node:fs synchronous calls (pread/pwrite straight into the
 * page cache, measured fastest under Bun in docs/decisions/0001-toolchain.md) with fdatasync run
 * asynchronously on the thread pool so the event loop keeps serving while a
 * group commit is in flight.
 */
import * as fs from "node:fs";
import type { File, FileStat, FileSystem, OpenOptions } from "./types.ts";
import { io, toIoError } from "./io_errors.ts";

class NodeFile implements File {
  #fd: number;
  #size: number;

  constructor(readonly path: string, fd: number) {
    this.#fd = fd;
    this.#size = io(`stat ${path}`, () => fs.fstatSync(fd).size);
  }

  size(): number {
    return this.#size;
  }

  read(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.#size - offset));
    const out = new Uint8Array(n);
    const got = this.readInto(out, offset);
    return got === n ? out : out.subarray(0, got);
  }

  readInto(into: Uint8Array, offset: number): number {
    let done = 0;
    while (done < into.length) {
      const n = io(
        `read ${this.path}`,
        () => fs.readSync(this.#fd, into, done, into.length - done, offset + done),
      );
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      done += io(
        `write ${this.path}`,
        () => fs.writeSync(this.#fd, data, done, data.length - done, offset + done),
      );
    }
    if (offset + data.length > this.#size) this.#size = offset + data.length;
  }

  append(data: Uint8Array): void {
    this.write(this.#size, data);
  }

  truncate(size: number): void {
    io(`truncate ${this.path}`, () => fs.ftruncateSync(this.#fd, size));
    this.#size = size;
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(
        this.#fd,
        (err) => err ? reject(toIoError(err, `sync ${this.path}`)) : resolve(),
      );
    });
  }

  syncNow(): void {
    io(`sync ${this.path}`, () => fs.fdatasyncSync(this.#fd));
  }

  close(): void {
    if (this.#fd < 0) return;
    io(`close ${this.path}`, () => fs.closeSync(this.#fd));
    this.#fd = -1;
  }
}

function openFlags(o: OpenOptions): number {
  const c = fs.constants;
  if (o.readOnly) return c.O_RDONLY;
  let flags = c.O_RDWR;
  if (o.create) flags |= c.O_CREAT;
  if (o.create && o.exclusive) flags |= c.O_EXCL;
  if (o.truncate) flags |= c.O_TRUNC;
  return flags;
}

export class NodeFileSystem implements FileSystem {
  open(path: string, options: OpenOptions = {}): File {
    // Never O_APPEND: on Linux it sends every positional write to the end.
    const fd = io(`open ${path}`, () => fs.openSync(path, openFlags(options), 0o644));
    return new NodeFile(path, fd);
  }

  readFile(path: string): Uint8Array {
    const f = this.open(path, { readOnly: true });
    try {
      return f.read(0, f.size());
    } finally {
      f.close();
    }
  }

  rename(from: string, to: string): void {
    io(`rename ${from} to ${to}`, () => fs.renameSync(from, to));
  }

  remove(path: string): void {
    io(`remove ${path}`, () => {
      if (fs.statSync(path).isDirectory()) fs.rmdirSync(path);
      else fs.unlinkSync(path);
    });
  }

  list(dir: string): string[] {
    return io(`list ${dir}`, () => fs.readdirSync(dir)).sort();
  }

  mkdir(path: string): void {
    io(`mkdir ${path}`, () => fs.mkdirSync(path, { recursive: true }));
  }

  syncDir(path: string): Promise<void> {
    const fd = io(`open directory ${path}`, () => fs.openSync(path, "r"));
    return new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => {
        fs.close(fd, () => {});
        if (err) reject(toIoError(err, `sync directory ${path}`));
        else resolve();
      });
    });
  }

  stat(path: string): FileStat | undefined {
    try {
      const s = fs.statSync(path);
      return { size: s.size, isDirectory: s.isDirectory() };
    } catch (err) {
      const e = toIoError(err, `stat ${path}`);
      if (e.name === "NotFoundError") return undefined;
      throw e;
    }
  }
}
