/**
 * Opens an SSTable (layout: docs/formats.md#sstable): checks the footer, loads
 * the index and the bloom filter into memory, and reads data blocks through
 * the byte-bounded block cache. Every block is checksummed when read from the
 * file; any structural problem is a CorruptionError with file and offset.
 */
import type { File } from "../../platform/types.ts";
import { ByteReader, DecodeError } from "../../util/coding.ts";
import { CorruptionError } from "../../util/errors.ts";
import { equalBytes } from "../../util/bytes.ts";
import { compareStored, readTrailerSeq, TRAILER_BYTES, ValueKind } from "../internal_key.ts";
import type { BlockCache, CacheEntry } from "../cache/block_cache.ts";
import type { Cursor } from "../iterator/cursor.ts";
import { TwoLevelCursor } from "../iterator/two_level.ts";
import { Block, BlockCursor } from "./block.ts";
import { bloomMayContain } from "./bloom.ts";
import {
  type BlockHandle,
  checkHandle,
  decodeHandle,
  FILTER_META_NAME,
  readBlock,
  readFooter,
} from "./format.ts";

export interface TableEntry {
  readonly kind: ValueKind;
  /** A copy the caller owns. */
  readonly value: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Decodes every (key, value) of a small block; used for index and metaindex. */
function decodeAll(block: Block): { key: Uint8Array; value: Uint8Array }[] {
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  const d = block.data;
  const r = new ByteReader(d, 0, block.restartsAt);
  let last = new Uint8Array(0);
  try {
    while (r.remaining > 0) {
      const shared = r.varint();
      const unshared = r.varint();
      const vlen = r.varint();
      if (shared > last.length) throw new DecodeError("shared prefix too long", r.offset);
      const key = new Uint8Array(shared + unshared);
      key.set(last.subarray(0, shared));
      key.set(r.bytesView(unshared), shared);
      out.push({ key, value: r.bytesView(vlen) });
      last = key;
    }
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new CorruptionError(block.file, block.offset + err.offset, err.message);
    }
    throw err;
  }
  return out;
}

export class TableReader {
  readonly #indexKeys: Uint8Array[] = [];
  readonly #handles: BlockHandle[] = [];
  readonly #filter: Uint8Array | undefined;
  readonly #cached = new Map<number, CacheEntry>();
  #getCursor: BlockCursor | undefined;

  /** Open file, or undefined after `closeFile()` (reopened on the next block read). */
  #file: File | undefined;
  /** Set on use; the table cache gives such a reader a second chance before closing it. */
  visited = false;

  constructor(
    file: File,
    readonly name: string,
    readonly fileSize: number,
    readonly cache: BlockCache,
    readonly reopen: () => File,
  ) {
    this.#file = file;
    const footer = readFooter(file, name, fileSize);
    const limit = fileSize - 56;
    const index = new Block(readBlock(file, name, footer.index), name, footer.index.offset);
    for (const e of decodeAll(index)) {
      const h = decodeEntryHandle(e.value, name, footer.index.offset);
      checkHandle(h, limit, name);
      if (e.key.length < TRAILER_BYTES || readTrailerSeq(e.key, e.key.length - 8) < 0) {
        throw new CorruptionError(name, footer.index.offset, "bad index key");
      }
      this.#indexKeys.push(e.key);
      this.#handles.push(h);
    }
    if (this.#handles.length === 0) {
      throw new CorruptionError(name, footer.index.offset, "empty index");
    }
    const metaBlock = new Block(
      readBlock(file, name, footer.metaindex),
      name,
      footer.metaindex.offset,
    );
    for (const e of decodeAll(metaBlock)) {
      if (!equalBytes(e.key, FILTER_META_NAME)) continue;
      const h = decodeEntryHandle(e.value, name, footer.metaindex.offset);
      checkHandle(h, limit, name);
      this.#filter = readBlock(file, name, h);
    }
  }

  get blockCount(): number {
    return this.#handles.length;
  }

  /** Index of the first block whose last key is at or after (key, seq); blockCount if none. */
  findBlock(key: Uint8Array, seq: number): number {
    const keys = this.#indexKeys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid];
      if (compareStored(k, 0, k.length, key, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Loads data block `i`, from the cache when present. */
  block(i: number, fillCache = true): Block {
    const h = this.#handles[i];
    const hit = this.cache.lookup(this.#cached, h.offset);
    if (hit !== undefined) return hit;
    const file = this.#file ?? (this.#file = this.reopen());
    const block = new Block(readBlock(file, this.name, h), this.name, h.offset);
    if (fillCache) this.cache.insert(this.#cached, h.offset, block);
    return block;
  }

  /** The newest entry for `key` visible at `seq`, or undefined. `hash` is bloomHash(key). */
  get(key: Uint8Array, seq: number, hash: number): TableEntry | undefined {
    if (this.#filter !== undefined && !bloomMayContain(this.#filter, hash)) return undefined;
    const i = this.findBlock(key, seq);
    if (i >= this.#handles.length) return undefined;
    const block = this.block(i);
    let c = this.#getCursor;
    if (c === undefined) c = this.#getCursor = new BlockCursor(block);
    else if (c.block !== block) c.reset(block);
    c.seek(key, seq);
    if (!c.valid() || !c.keyEquals(key)) return undefined;
    const kind = c.kind();
    return { kind, value: kind === ValueKind.Put ? c.valueCopy() : EMPTY };
  }

  cursor(fillCache = true): Cursor {
    // Two levels: the index picks a data block, a BlockCursor walks it.
    return new TwoLevelCursor({
      partCount: this.blockCount,
      openPart: (i) => new BlockCursor(this.block(i, fillCache)),
      findPart: (key, seq) => this.findBlock(key, seq),
    }, "table");
  }

  /** Closes the file descriptor; a later block read reopens it (the table is still live). */
  closeFile(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  /** Drops this table's blocks from the cache and closes the file (the table is deleted). */
  close(): void {
    this.cache.forget(this.#cached);
    this.closeFile();
  }
}

function decodeEntryHandle(value: Uint8Array, name: string, at: number): BlockHandle {
  try {
    return decodeHandle(new ByteReader(value));
  } catch (err) {
    if (err instanceof DecodeError) throw new CorruptionError(name, at, `bad block handle`);
    throw err;
  }
}
