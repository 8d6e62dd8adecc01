/**
 * An in-memory file system for the simulator that fails the way disks do:
 *
 * - Writes land in a "page cache" until `sync()`. `crash()` throws away the
 *   un-synced writes of every file (mode "lose"), or keeps a random prefix of
 *   them with the last kept write torn at a random byte (mode "tear").
 * - Directory entries (create, rename, remove) become durable only after
 *   `syncDir()` of their directory; a crash reverts the rest. This is strict
 *   POSIX, stricter than ext4, so a missing directory fsync shows up here.
 * - Reads can be corrupted at random (`readCorruptionRate`) or a stored byte
 *   flipped on purpose (`flipByte`), to prove checksums are checked.
 * - A capacity limit makes writes fail with `NoSpaceError` after writing the
 *   part that fits (a real disk fills up mid-write: the file tail is left
 *   torn); `failSync` makes the next syncs fail with `IoError`.
 *
 * Un-synced writes are kept as an undo log (offset, old bytes, old size), so
 * a sync is O(1) and a crash costs only the un-synced bytes.
 */
import { assert } from "../../util/assert.ts";
import { IoError, NoSpaceError, NotFoundError } from "../../util/errors.ts";
import type { Prng } from "../../util/prng.ts";
import type { Clock, File, FileStat, FileSystem, OpenOptions } from "../types.ts";
import type { SimTrace } from "./sim_trace.ts";
import { Inode } from "./sim_inode.ts";
import { SimFile } from "./sim_file.ts";

export type CrashMode = "lose" | "tear";

export interface SimFileSystemOptions {
  /** Probability that a `read` returns one flipped bit (the stored data stays intact). */
  readonly readCorruptionRate?: number;
  /** Total bytes the disk holds; writes past it throw NoSpaceError. */
  readonly capacityBytes?: number;
  /** Virtual milliseconds an fsync takes (0: resolves on the next microtask). */
  readonly syncLatencyMs?: number;
  readonly trace?: SimTrace;
}

function normalize(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.join("/");
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export class SimFileSystem implements FileSystem {
  /** Entries as the running program sees them. */
  #entries = new Map<string, Inode>();
  /** Entries that survive a crash. */
  #durable = new Map<string, Inode>();
  readonly #dirs = new Set<string>([""]);
  #failSyncs = 0;
  #failSyncKind: "io" | "no-space" = "io";
  #crashes = 0;
  #capacity: number | undefined;
  /** Directory renames not yet made durable by a `syncDir` of their parent. */
  #dirRenames: { parent: string; from: string; to: string }[] = [];

  constructor(
    readonly prng: Prng,
    readonly clock: Clock,
    readonly options: SimFileSystemOptions = {},
  ) {
    this.#capacity = options.capacityBytes;
  }

  get crashCount(): number {
    return this.#crashes;
  }

  #trace(event: string): void {
    this.options.trace?.record(this.clock.nowMs(), `fs ${event}`);
  }

  usedBytes(): number {
    let n = 0;
    for (const inode of new Set(this.#entries.values())) n += inode.size;
    return n;
  }

  checkSpace(extraBytes: number, path: string): void {
    if (extraBytes > this.roomBytes()) {
      throw new NoSpaceError(`No space left on device writing ${path}`);
    }
  }

  /** Bytes the disk can still take (Infinity without a capacity). */
  roomBytes(): number {
    const cap = this.#capacity;
    return cap === undefined ? Infinity : Math.max(0, cap - this.usedBytes());
  }

  /** Changes the capacity (a test frees or takes away space). */
  setCapacity(bytes: number | undefined): void {
    this.#capacity = bytes;
  }

  open(path: string, options: OpenOptions = {}): File {
    const p = normalize(path);
    let inode = this.#entries.get(p);
    if (inode === undefined) {
      if (!options.create) throw new NotFoundError(`No such file: ${path}`);
      if (!this.#dirs.has(parentOf(p))) {
        throw new NotFoundError(`No such directory: ${parentOf(p)}`);
      }
      inode = new Inode();
      this.#entries.set(p, inode);
      this.#trace(`create ${p}`);
    } else if (options.create && options.exclusive) {
      throw new IoError(`File exists: ${path}`);
    }
    if (options.truncate && inode.size > 0) inode.truncate(0);
    return new SimFile(this, p, inode, options.readOnly ?? false);
  }

  readFile(path: string): Uint8Array {
    const f = this.open(path, { readOnly: true });
    const bytes = f.read(0, f.size());
    f.close();
    return bytes;
  }

  rename(from: string, to: string): void {
    const a = normalize(from), b = normalize(to);
    if (this.#dirs.has(a)) return this.#renameDir(a, b);
    const inode = this.#entries.get(a);
    if (inode === undefined) throw new NotFoundError(`No such file: ${from}`);
    this.#entries.delete(a);
    this.#entries.set(b, inode);
    this.#trace(`rename ${a} ${b}`);
  }

  /**
   * Renames a directory with everything under it (the engine swaps a received
   * snapshot in this way). Like a file's rename it is one entry in the parent
   * directory: it survives a crash only after `syncDir` of the parent, which
   * then moves the durable entries under `from` as well.
   */
  #renameDir(a: string, b: string): void {
    if (this.#dirs.has(b) && this.list(b).length > 0) {
      throw new IoError(`Directory not empty: ${b}`);
    }
    const moved = (p: string) => p === a || p.startsWith(a + "/");
    const target = (p: string) => b + p.slice(a.length);
    for (const [p, inode] of [...this.#entries]) {
      if (!moved(p)) continue;
      this.#entries.delete(p);
      this.#entries.set(target(p), inode);
    }
    for (const d of [...this.#dirs]) {
      if (!moved(d)) continue;
      this.#dirs.delete(d);
      this.#dirs.add(target(d));
    }
    this.#dirRenames.push({ parent: parentOf(a), from: a, to: b });
    this.#trace(`rename-dir ${a} ${b}`);
  }

  /** After a crash: directory renames that were never made durable are undone. */
  #revertDirRenames(): void {
    for (const r of this.#dirRenames.reverse()) {
      const under = (p: string) => p === r.to || p.startsWith(r.to + "/");
      if ([...this.#entries.keys()].some(under)) continue;
      for (const d of [...this.#dirs]) if (under(d)) this.#dirs.delete(d);
    }
    this.#dirRenames = [];
    for (const p of this.#entries.keys()) this.mkdir(parentOf(p));
  }

  /** Applies to the durable entries the directory renames made durable by syncing `dir`. */
  #syncDirRenames(dir: string): void {
    const keep: { parent: string; from: string; to: string }[] = [];
    for (const r of this.#dirRenames) {
      if (r.parent !== dir) {
        keep.push(r);
        continue;
      }
      for (const p of [...this.#durable.keys()]) {
        if (p.startsWith(r.to + "/")) this.#durable.delete(p);
      }
      for (const [p, inode] of [...this.#durable]) {
        if (!p.startsWith(r.from + "/")) continue;
        this.#durable.delete(p);
        this.#durable.set(r.to + p.slice(r.from.length), inode);
      }
    }
    this.#dirRenames = keep;
  }

  remove(path: string): void {
    const p = normalize(path);
    if (this.#dirs.has(p)) {
      if (this.list(p).length > 0) throw new IoError(`Directory not empty: ${path}`);
      this.#dirs.delete(p);
      return;
    }
    if (!this.#entries.delete(p)) throw new NotFoundError(`No such file: ${path}`);
    this.#trace(`remove ${p}`);
  }

  list(dir: string): string[] {
    const d = normalize(dir);
    if (!this.#dirs.has(d)) throw new NotFoundError(`No such directory: ${dir}`);
    const names = new Set<string>();
    const prefix = d === "" ? "" : d + "/";
    for (const p of [...this.#entries.keys(), ...this.#dirs]) {
      if (p !== d && p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) {
        names.add(p.slice(prefix.length));
      }
    }
    return [...names].sort();
  }

  mkdir(path: string): void {
    const parts = normalize(path).split("/");
    for (let i = 1; i <= parts.length; i++) this.#dirs.add(parts.slice(0, i).join("/"));
  }

  syncDir(path: string): Promise<void> {
    const d = normalize(path);
    this.#syncDirRenames(d);
    const inDir = (p: string) => parentOf(p) === d;
    for (const p of [...this.#durable.keys()]) {
      if (inDir(p) && this.#entries.get(p) === undefined) this.#durable.delete(p);
    }
    for (const [p, inode] of this.#entries) if (inDir(p)) this.#durable.set(p, inode);
    this.#trace(`syncdir ${d}`);
    return this.#syncDelay();
  }

  stat(path: string): FileStat | undefined {
    const p = normalize(path);
    if (this.#dirs.has(p)) return { size: 0, isDirectory: true };
    const inode = this.#entries.get(p);
    return inode === undefined ? undefined : { size: inode.size, isDirectory: false };
  }

  /**
   * Makes the next `count` syncs (file or directory) reject with IoError, or
   * with NoSpaceError (a file system that allocates at writeback, e.g. NFS).
   */
  failSync(count = 1, kind: "io" | "no-space" = "io"): void {
    this.#failSyncs += count;
    this.#failSyncKind = kind;
  }

  /** @internal Called by SimFile.sync. */
  syncFile(path: string, inode: Inode): Promise<void> {
    if (this.#failSyncs > 0) {
      this.#failSyncs--;
      this.#trace(`sync-fail ${path}`);
      return Promise.reject(
        this.#failSyncKind === "io"
          ? new IoError(`fdatasync failed: ${path}`)
          : new NoSpaceError(`No space left on device syncing ${path}`),
      );
    }
    inode.pending = [];
    this.#trace(`sync ${path} ${inode.size}`);
    return this.#syncDelay();
  }

  #syncDelay(): Promise<void> {
    const ms = this.options.syncLatencyMs ?? 0;
    if (ms === 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  /**
   * Simulates power loss: open handles become invalid, un-synced directory
   * changes revert, and each file keeps only synced data ("lose") or synced
   * data plus a random prefix of its un-synced writes, the last one torn ("tear").
   */
  crash(mode: CrashMode): void {
    this.#crashes++;
    const inodes = new Set([...this.#entries.values(), ...this.#durable.values()]);
    for (const inode of inodes) {
      if (mode === "lose" || inode.pending.length === 0) {
        inode.crash(0, 0);
        continue;
      }
      const keep = this.prng.range(0, inode.pending.length);
      const last = keep > 0 ? inode.pending[keep - 1] : undefined;
      const torn = last === undefined ? 0 : this.prng.range(0, last.data.length);
      inode.crash(keep, torn);
    }
    this.#entries = new Map(this.#durable);
    this.#revertDirRenames();
    this.#trace(`crash ${mode} #${this.#crashes}`);
  }

  /** Flips one bit of a stored byte (both durable and current views share it). */
  flipByte(path: string, offset: number, bit = 0): void {
    const inode = this.#entries.get(normalize(path));
    if (inode === undefined) throw new NotFoundError(`No such file: ${path}`);
    assert(offset >= 0 && offset < inode.size, `flipByte offset ${offset} out of range`);
    inode.bytes[offset] ^= 1 << bit;
    this.#trace(`flip ${normalize(path)} ${offset}`);
  }

  /** Un-synced bytes pending in `path` (for tests). */
  unsyncedWrites(path: string): number {
    return this.#entries.get(normalize(path))?.pending.length ?? 0;
  }

  readCorrupted(out: Uint8Array): void {
    const rate = this.options.readCorruptionRate ?? 0;
    if (rate > 0 && out.length > 0 && this.prng.chance(rate)) {
      out[this.prng.int(out.length)] ^= 1 << this.prng.int(8);
    }
  }
}
