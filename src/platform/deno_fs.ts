/**
 * FileSystem over Deno's own file API (Deno.FsFile sync calls, `syncData()`
 * on Deno's thread pool). Deno has no positional read, so each file keeps its
 * cursor position and seeks only when the next operation is elsewhere:
 * appends and sequential reads cost one syscall, like pread/pwrite.
 * bench/platform_bench.ts compares it with node:fs under Deno.
 */
import type { File, FileStat, FileSystem, OpenOptions } from "./types.ts";
import { io, toIoError } from "./io_errors.ts";

class DenoFile implements File {
  #file: Deno.FsFile | null;
  #size: number;
  #pos = 0;

  constructor(readonly path: string, file: Deno.FsFile) {
    this.#file = file;
    this.#size = io(`stat ${path}`, () => file.statSync().size);
  }

  #handle(): Deno.FsFile {
    if (this.#file === null) throw toIoError(new Error("file is closed"), `use ${this.path}`);
    return this.#file;
  }

  #seek(f: Deno.FsFile, offset: number): void {
    if (this.#pos !== offset) {
      f.seekSync(offset, Deno.SeekMode.Start);
      this.#pos = offset;
    }
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
    const f = this.#handle();
    return io(`read ${this.path}`, () => {
      this.#seek(f, offset);
      let done = 0;
      while (done < into.length) {
        const n = f.readSync(into.subarray(done));
        if (n === null || n === 0) break;
        done += n;
        this.#pos += n;
      }
      return done;
    });
  }

  write(offset: number, data: Uint8Array): void {
    const f = this.#handle();
    io(`write ${this.path}`, () => {
      this.#seek(f, offset);
      let done = 0;
      while (done < data.length) {
        const n = f.writeSync(data.subarray(done));
        done += n;
        this.#pos += n;
      }
    });
    if (offset + data.length > this.#size) this.#size = offset + data.length;
  }

  append(data: Uint8Array): void {
    this.write(this.#size, data);
  }

  truncate(size: number): void {
    const f = this.#handle();
    io(`truncate ${this.path}`, () => f.truncateSync(size));
    this.#size = size;
  }

  async sync(): Promise<void> {
    const f = this.#handle();
    try {
      await f.syncData();
    } catch (err) {
      throw toIoError(err, `sync ${this.path}`);
    }
  }

  syncNow(): void {
    const f = this.#handle();
    io(`sync ${this.path}`, () => f.syncDataSync());
  }

  close(): void {
    if (this.#file === null) return;
    const f = this.#file;
    this.#file = null;
    io(`close ${this.path}`, () => f.close());
  }
}

export class DenoFileSystem implements FileSystem {
  open(path: string, options: OpenOptions = {}): File {
    const readOnly = options.readOnly ?? false;
    const file = io(`open ${path}`, () =>
      Deno.openSync(path, {
        read: true,
        write: !readOnly,
        create: !readOnly && (options.create ?? false) && !options.exclusive,
        createNew: !readOnly && (options.create ?? false) && (options.exclusive ?? false),
        truncate: !readOnly && (options.truncate ?? false),
        mode: 0o644,
      }));
    return new DenoFile(path, file);
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
    io(`rename ${from} to ${to}`, () => Deno.renameSync(from, to));
  }

  remove(path: string): void {
    io(`remove ${path}`, () => Deno.removeSync(path));
  }

  list(dir: string): string[] {
    return io(`list ${dir}`, () => [...Deno.readDirSync(dir)].map((e) => e.name)).sort();
  }

  mkdir(path: string): void {
    io(`mkdir ${path}`, () => Deno.mkdirSync(path, { recursive: true }));
  }

  async syncDir(path: string): Promise<void> {
    const dir = io(`open directory ${path}`, () => Deno.openSync(path, { read: true }));
    try {
      await dir.sync();
    } catch (err) {
      throw toIoError(err, `sync directory ${path}`);
    } finally {
      dir.close();
    }
  }

  stat(path: string): FileStat | undefined {
    try {
      const s = Deno.statSync(path);
      return { size: s.size, isDirectory: s.isDirectory };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw toIoError(err, `stat ${path}`);
    }
  }
}
