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
import { userKeyOf, type ValueKind } from "../internal_key.ts";
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

export class OutputSet {
  readonly outputs: FileMeta[] = [];
  #builder: TableBuilder | undefined;
  #file: File | undefined;
  #number = 0;
  bytesWritten = 0;

  /** Where tables end besides their size (table_cuts.ts); a flush passes none. */
  readonly #part: TablePart | undefined;

  constructor(readonly s: OutputHost, readonly targetBytes: number, cuts: TableCuts = "none") {
    this.#part = cuts === "kv" ? new TablePart() : undefined;
  }

  /** True when the current table is full and may be cut before a new user key. */
  get full(): boolean {
    return this.#builder !== undefined && this.#builder.fileBytes >= this.targetBytes;
  }

  async add(key: Uint8Array, seq: number, kind: ValueKind, value: Uint8Array, newKey: boolean) {
    const part = this.#part;
    if (newKey && (this.full || (this.#builder !== undefined && part?.crosses(key)))) {
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
    this.#builder.add(key, seq, kind, value);
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
    b.addFrom(kbuf, koff, klen, seq, kind, vbuf, voff, vlen);
    return true;
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
    this.outputs.push({ number: this.#number, size, smallest: b.smallest, largest: b.largest });
  }

  /** Finishes the last table and makes every output durable. */
  async finish(): Promise<FileMeta[]> {
    await this.#finishTable();
    if (this.outputs.length > 0) await this.s.fs.syncDir(this.s.dir);
    return this.outputs;
  }

  /** Forgets the outputs as pending (after their edit is installed or abandoned). */
  release(): void {
    this.#file?.close();
    for (const f of this.outputs) this.s.releaseTableNumber(f.number);
    if (this.#number !== 0) this.s.releaseTableNumber(this.#number);
  }
}
