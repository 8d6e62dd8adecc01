/**
 * Tables written by one flush or compaction. A table is cut only where the
 * user key changes, so no user key ever spans two tables of a level. Each
 * finished table is fsynced; `finish()` also fsyncs the directory, so the
 * files are durable before any manifest edit names them.
 */
import type { BlockCompression } from "../sstable/compression.ts";
import type { File, FileSystem } from "../../platform/types.ts";
import type { DbState } from "../db_state.ts";
import { assert } from "../../util/assert.ts";
import { compareBytes } from "../../util/bytes.ts";
import { userKeyOf, ValueKind } from "../internal_key.ts";
import { BlobOutputs } from "../blob/blob_outputs.ts";
import type { JobOutputs } from "./compactor.ts";
import { TableBuilder } from "../sstable/table_builder.ts";
import { join, tableName } from "../version/file_names.ts";
import { type TableCuts, TablePart } from "./table_cuts.ts";
import type { FileMeta } from "../version/version_edit.ts";

/**
 * Where a job's tables go: the engine's own state inline, or a background
 * worker's view of the same directory with file numbers the main thread handed it.
 */
export interface OutputHost {
  readonly fs: FileSystem;
  readonly dir: string;
  /** How the tables' data blocks are stored (the engine's `compression` option). */
  readonly compression: BlockCompression;
  /** A fresh table number, kept from garbage collection until released. */
  newTableNumber(): number | Promise<number>;
  releaseTableNumber(n: number): void;
}

/** The engine's state as an output host (jobs run inline). */
export function stateOutputHost(s: DbState): OutputHost {
  return {
    fs: s.fs,
    dir: s.dir,
    compression: s.options.compression,
    newTableNumber: () => {
      const n = s.vs.newFileNumber();
      s.pendingOutputs.add(n);
      return n;
    },
    releaseTableNumber: (n) => void s.pendingOutputs.delete(n),
  };
}

/** What a job does with values: which go to blob files, which blob files it empties. */
export interface BlobPolicy {
  /** Values of at least this many bytes go to a blob file (0: none; `blobMinBytes`). */
  readonly minBytes: number;
  /** Blob files mostly dead: a compaction copies the live values it meets out of them. */
  readonly relocate: readonly number[];
  /** Which values share a blob file: under `kv`, change-feed values go to files of their own. */
  readonly cuts: TableCuts;
}

export const NO_BLOBS: BlobPolicy = { minBytes: 0, relocate: [], cuts: "none" };

/** A flush's policy under `options`: nothing to relocate. */
export function flushBlobPolicy(options: { blobMinBytes: number; tableCuts: TableCuts }) {
  return { minBytes: options.blobMinBytes, relocate: [], cuts: options.tableCuts };
}

export class OutputSet {
  readonly outputs: FileMeta[] = [];
  #builder: TableBuilder | undefined;
  #file: File | undefined;
  #number = 0;
  bytesWritten = 0;

  /** Where tables end besides their size (table_cuts.ts); a flush passes none. */
  readonly #part: TablePart | undefined;
  readonly #blobs: BlobOutputs;

  /** The first fence at or after the last key added (level_zero_overlap.ts). */
  #fence = 0;

  constructor(
    readonly s: OutputHost,
    readonly targetBytes: number,
    cuts: TableCuts = "none",
    blobs: BlobPolicy = NO_BLOBS,
    /** First user keys of tables of the output level left out, in order: tables end before. */
    readonly fences: readonly Uint8Array[] = [],
  ) {
    this.#part = cuts === "kv" ? new TablePart() : undefined;
    this.#blobs = new BlobOutputs(s, blobs);
  }

  /** Notes a dropped entry: a blob record it referenced is garbage now. */
  drop(kind: ValueKind, value: Uint8Array): void {
    if (kind === ValueKind.BlobRef) this.#blobs.dropRef(value);
  }

  /** True when the current table is full and may be cut before a new user key. */
  get full(): boolean {
    return this.#builder !== undefined && this.#builder.fileBytes >= this.targetBytes;
  }

  async add(key: Uint8Array, seq: number, kind: ValueKind, value: Uint8Array, newKey: boolean) {
    const part = this.#part;
    const fenced = newKey && this.#passFences(key);
    const open = this.#builder !== undefined;
    if (newKey && (this.full || (open && (fenced || part?.crosses(key) === true)))) {
      await this.#finishTable();
    }
    if (newKey) part?.enter(key);
    if (this.#builder === undefined) {
      this.#number = await this.s.newTableNumber();
      this.#file = this.s.fs.open(join(this.s.dir, tableName(this.#number)), {
        create: true,
        truncate: true,
      });
      this.#builder = new TableBuilder(this.#file, undefined, this.s.compression);
    }
    const blobs = this.#blobs;
    if (kind === ValueKind.BlobRef) {
      const ref = blobs.keep(value) ? value : await blobs.relocate(key, value);
      this.#builder.add(key, seq, kind, ref);
    } else if (kind === ValueKind.Put && blobs.separates(value.length)) {
      this.#builder.add(key, seq, ValueKind.BlobRef, await blobs.put(key, value));
    } else {
      this.#builder.add(key, seq, kind, value);
    }
  }

  /**
   * The synchronous path of `add`, taken by a compaction's merge for nearly every entry (an
   * awaited call per entry was a sixth of a compaction of keys and blob references): false,
   * with nothing noted, when a table or blob file has to be started or finished first or a
   * value relocated, which only `add` does.
   */
  tryAdd(
    key: Uint8Array,
    seq: number,
    kind: ValueKind,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
    newKey: boolean,
  ): boolean {
    const b = this.#builder;
    const part = this.#part;
    if (b === undefined) return false;
    if (newKey && (b.fileBytes >= this.targetBytes || part?.crosses(key) === true)) return false;
    if (newKey && this.#fence < this.fences.length && this.#fenceAt(key)) return false;
    const blobs = this.#blobs;
    if (kind === ValueKind.BlobRef) {
      if (!blobs.keepRange(vbuf, voff, vlen)) return false;
    } else if (kind === ValueKind.Put && blobs.separates(vlen)) {
      if (!this.#addSeparated(b, key, 0, key.length, seq, vbuf, voff, vlen)) return false;
      if (newKey) part?.enter(key);
      return true;
    }
    if (newKey) part?.enter(key);
    b.addFrom(key, 0, key.length, seq, kind, vbuf, voff, vlen);
    return true;
  }

  /**
   * The synchronous path of `add` for an entry given as ranges (a memtable node, a flush
   * run): false when a table has to be started or finished first, which only `add` does.
   */
  tryAddFrom(
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    seq: number,
    kind: ValueKind,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
    newKey: boolean,
  ): boolean {
    const b = this.#builder;
    // A new key of a set with cuts goes through `add`, which looks at its part.
    if (b === undefined || (newKey && (b.fileBytes >= this.targetBytes || this.#part))) {
      return false;
    }
    const blobs = this.#blobs;
    if (kind === ValueKind.BlobRef) return false;
    if (kind === ValueKind.Put && blobs.separates(vlen)) {
      return this.#addSeparated(b, kbuf, koff, klen, seq, vbuf, voff, vlen);
    }
    b.addFrom(kbuf, koff, klen, seq, kind, vbuf, voff, vlen);
    return true;
  }

  /**
   * A value kept apart: written to its class's open blob file, its reference to the table; false,
   * with nothing written, when that file has to be started first (which only `add` does).
   */
  #addSeparated(
    b: TableBuilder,
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    seq: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
  ): boolean {
    const blobs = this.#blobs;
    const writer = blobs.openWriterFor(kbuf, koff, klen);
    if (writer === undefined) return false;
    const n = blobs.putInto(writer, vbuf, voff, vlen);
    b.addFrom(kbuf, koff, klen, seq, ValueKind.BlobRef, writer.ref, 0, n);
    return true;
  }

  /** Whether `key` is at or past the next fence. */
  #fenceAt(key: Uint8Array): boolean {
    return compareBytes(key, this.fences[this.#fence]) >= 0;
  }

  /** Moves past the fences at or before `key`; true when it passed any. */
  #passFences(key: Uint8Array): boolean {
    const from = this.#fence;
    while (this.#fence < this.fences.length && this.#fenceAt(key)) this.#fence++;
    return this.#fence > from;
  }

  async #finishTable(): Promise<void> {
    const b = this.#builder, f = this.#file;
    if (b === undefined || f === undefined) return;
    this.#builder = undefined;
    this.#file = undefined;
    const size = b.finish();
    try {
      await f.sync();
    } finally {
      f.close();
    }
    this.bytesWritten += size;
    const prev = this.outputs.at(-1);
    // Tables are cut between user keys: each starts after the previous one ends.
    assert(
      prev === undefined || compareBytes(userKeyOf(prev.largest), userKeyOf(b.smallest)) < 0,
      `output table ${this.#number} overlaps table ${prev?.number}`,
    );
    const meta: FileMeta = { number: this.#number, size, smallest: b.smallest, largest: b.largest };
    const refs = this.#blobs.takeTableRefs();
    this.outputs.push(refs === undefined ? meta : { ...meta, ...refs });
  }

  /** Finishes the last table and the blob files, and makes every output durable. */
  async finish(): Promise<FileMeta[]> {
    await this.#finishTable();
    await this.#blobs.finish();
    if (this.outputs.length > 0 || this.#blobs.files.length > 0) {
      await this.s.fs.syncDir(this.s.dir);
    }
    return this.outputs;
  }

  /** What the job hands back once `finish` returned `outputs`. */
  result(outputs: FileMeta[]): JobOutputs {
    let blobBytes = 0;
    for (const b of this.#blobs.files) blobBytes += b.size;
    return {
      outputs,
      bytesWritten: this.bytesWritten + blobBytes,
      blobFiles: this.#blobs.files,
      blobGarbage: [...this.#blobs.garbage],
    };
  }

  /** Forgets the outputs as pending (after their edit is installed or abandoned). */
  release(): void {
    this.#file?.close();
    for (const f of this.outputs) this.s.releaseTableNumber(f.number);
    if (this.#number !== 0) this.s.releaseTableNumber(this.#number);
    this.#blobs.release();
  }
}
