/**
 * The version set: the current Version, the file-number and sequence
 * counters, and the manifest that logs every change (docs/formats.md#manifest).
 * Edits are applied one at a time: append to the manifest, fsync, then install.
 */
import type { File, FileSystem } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { CorruptionError, IoError, NoSpaceError } from "../../util/errors.ts";
import { readAllRecords, RecordWriter, type TornTail } from "../../util/record_format.ts";
import { readCurrent, writeCurrent } from "./current_file.ts";
import { join, manifestName } from "./file_names.ts";
import { Version } from "./version.ts";
import { assertEditConsistent } from "./version_checks.ts";
import { NUM_LEVELS, VersionEdit } from "./version_edit.ts";

/** True when the bytes after a torn tail look like an interrupted append: cut short or zeros. */
function isTornWrite(bytes: Uint8Array, tail: TornTail): boolean {
  if (tail.reason.startsWith("truncated") || tail.reason.startsWith("record missing")) return true;
  for (let i = tail.offset; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** A live blob file: its size and record count when added, and its bytes known dead since. */
export interface BlobFileState {
  readonly size: number;
  readonly count: number;
  garbage: number;
}

export class VersionSet {
  current: Version = Version.empty();
  nextFileNumber = 2;
  lastSequence = 0;
  logNumber = 0;
  manifestNumber = 0;
  readonly compactPointers: (Uint8Array | undefined)[] = new Array(NUM_LEVELS).fill(undefined);
  readonly #pinned = new Set<Version>();
  /**
   * Blob files by number, from the edits that added them until garbage collection deletes
   * them (no table of a live version references them then: gc.ts).
   */
  readonly blobFiles = new Map<number, BlobFileState>();
  #manifest: File | undefined;
  #writer: RecordWriter | undefined;
  /** Bytes of the manifest that are written and fsynced (every edit is synced). */
  #manifestBytes = 0;
  /** The last sequence the manifest holds. */
  #loggedSequence = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(readonly fs: FileSystem, readonly dir: string) {}

  newFileNumber(): number {
    return this.nextFileNumber++;
  }

  /** Makes sure `n` is never handed out (a file found on disk). */
  markUsed(n: number): void {
    if (n >= this.nextFileNumber) this.nextFileNumber = n + 1;
  }

  /** Loads the state CURRENT points to; `manifest` is undefined for a new database. */
  recover(): { manifest: string | undefined; tornTail: TornTail | null; fileBytes: number } {
    const name = readCurrent(this.fs, this.dir);
    if (name === undefined) return { manifest: undefined, tornTail: null, fileBytes: 0 };
    const path = join(this.dir, name);
    if (this.fs.stat(path) === undefined) {
      throw new CorruptionError(name, 0, "manifest named by CURRENT is missing");
    }
    const bytes = this.fs.readFile(path);
    const { records, tornTail } = readAllRecords(bytes, name);
    if (tornTail !== null && !isTornWrite(bytes, tornTail)) {
      // Every manifest record was fsynced before it was acted on, so a damaged last
      // record that is not a cut-short write is corruption, never a tail to drop.
      throw new CorruptionError(name, tornTail.offset, tornTail.reason);
    }
    let v = Version.empty();
    let sawLog = false, sawNext = false, sawSeq = false;
    for (const r of records) {
      const e = VersionEdit.decode(r.payload, name, r.offset);
      if (e.logNumber !== undefined) [this.logNumber, sawLog] = [e.logNumber, true];
      if (e.nextFileNumber !== undefined) [this.nextFileNumber, sawNext] = [e.nextFileNumber, true];
      if (e.lastSequence !== undefined) [this.lastSequence, sawSeq] = [e.lastSequence, true];
      for (const [level, key] of e.compactPointers) this.compactPointers[level] = key;
      this.#applyBlobs(e);
      v = v.apply(e);
    }
    if (!sawLog || !sawNext || !sawSeq) {
      throw new CorruptionError(name, 0, "manifest lacks log number, next file or sequence");
    }
    for (const level of v.levels) for (const f of level) this.markUsed(f.number);
    for (const n of this.blobFiles.keys()) this.markUsed(n);
    this.current = v;
    return { manifest: name, tornTail, fileBytes: bytes.length };
  }

  /** Starts a new manifest holding the whole current state and points CURRENT at it. */
  async writeNewManifest(): Promise<void> {
    const number = this.newFileNumber();
    const name = manifestName(number);
    const file = this.fs.open(join(this.dir, name), { create: true, truncate: true });
    const writer = new RecordWriter(0);
    const snap = this.#snapshotEdit();
    writer.append(snap.encode());
    file.append(writer.take());
    await file.sync();
    await this.fs.syncDir(this.dir);
    await writeCurrent(this.fs, this.dir, name);
    this.#manifest?.close();
    this.#manifest = file;
    this.#writer = writer;
    this.#manifestBytes = writer.fileBytes;
    this.#loggedSequence = this.lastSequence;
    this.manifestNumber = number;
  }

  #snapshotEdit(): VersionEdit {
    const e = new VersionEdit();
    e.logNumber = this.logNumber;
    e.nextFileNumber = this.nextFileNumber;
    e.lastSequence = this.lastSequence;
    this.compactPointers.forEach((k, level) => {
      if (k !== undefined) e.compactPointers.push([level, k]);
    });
    this.current.levels.forEach((files, level) => {
      for (const f of files) e.added.push([level, f]);
    });
    for (const [number, b] of this.blobFiles) {
      e.blobFiles.push({ number, size: b.size, count: b.count });
      if (b.garbage > 0) e.blobGarbage.push([number, b.garbage]);
    }
    return e;
  }

  /** Notes the blob files an edit adds and the garbage it counts (one manifest never says
   * more garbage than a file holds; a file already deleted is not known and is skipped). */
  #applyBlobs(e: VersionEdit): void {
    for (const b of e.blobFiles) this.blobFiles.set(b.number, { ...b, garbage: 0 });
    for (const [n, bytes] of e.blobGarbage) {
      const b = this.blobFiles.get(n);
      if (b !== undefined) b.garbage = Math.min(b.size, b.garbage + bytes);
    }
  }

  /** Logs `edit` durably, then installs the resulting version. Serialized. */
  logAndApply(edit: VersionEdit): Promise<void> {
    const p = this.#chain.then(() => this.#apply(edit));
    this.#chain = p.catch(() => {});
    return p;
  }

  async #apply(edit: VersionEdit): Promise<void> {
    const file = this.#manifest, writer = this.#writer;
    assert(file !== undefined && writer !== undefined, "manifest not open");
    // Reopening trusts the last edit's numbers: they may only grow.
    assert(this.lastSequence >= this.#loggedSequence, `sequence ${this.lastSequence} went back`);
    assert((edit.logNumber ?? this.logNumber) >= this.logNumber, `log ${edit.logNumber} went back`);
    edit.nextFileNumber = this.nextFileNumber;
    edit.lastSequence = this.lastSequence;
    const next = this.current.apply(edit);
    assertEditConsistent(this.current, edit, next);
    for (const [, f] of edit.added) {
      for (const n of f.blobs ?? []) {
        assert(
          this.blobFiles.has(n) || edit.blobFiles.some((b) => b.number === n),
          `table ${f.number} references blob file ${n}, which is not live`,
        );
      }
    }
    writer.append(edit.encode());
    try {
      file.write(this.#manifestBytes, writer.take());
      await file.sync();
    } catch (err) {
      if (err instanceof NoSpaceError) await this.#rewind(file, err);
      throw err;
    }
    this.#manifestBytes = writer.fileBytes;
    this.#loggedSequence = edit.lastSequence;
    this.current = next;
    this.#applyBlobs(edit);
    if (edit.logNumber !== undefined) this.logNumber = edit.logNumber;
    for (const [level, key] of edit.compactPointers) this.compactPointers[level] = key;
  }

  /**
   * A full disk mid-edit: cut the manifest back to the last synced edit and
   * fsync the cut, so a torn or unsynced edit can neither stay in front of the
   * next one nor name tables that are deleted next. The edit was not
   * installed; the caller may retry. A failed cut is an I/O error (sticky).
   */
  async #rewind(file: File, cause: NoSpaceError): Promise<void> {
    try {
      file.truncate(this.#manifestBytes);
      await file.sync();
    } catch (err) {
      throw new IoError(`cannot cut back the manifest after a full disk: ${err}`, { cause });
    }
    this.#writer = new RecordWriter(this.#manifestBytes);
  }

  pin(v: Version): void {
    v.refs++;
    this.#pinned.add(v);
  }

  unpin(v: Version): void {
    v.refs--;
    if (v.refs <= 0) this.#pinned.delete(v);
  }

  /** Numbers of every table in the current or a pinned version. */
  liveTables(): Set<number> {
    const live = new Set<number>();
    for (const v of [this.current, ...this.#pinned]) {
      for (const level of v.levels) for (const f of level) live.add(f.number);
    }
    return live;
  }

  /** Numbers of every blob file a table of the current or a pinned version references. */
  liveBlobs(): Set<number> {
    const live = new Set<number>();
    for (const v of [this.current, ...this.#pinned]) {
      for (const level of v.levels) {
        for (const f of level) for (const n of f.blobs ?? []) live.add(n);
      }
    }
    return live;
  }

  close(): void {
    this.#manifest?.close();
    this.#manifest = undefined;
  }
}
