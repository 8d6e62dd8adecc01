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
import {
  compareStored,
  readTrailerSeq,
  SEQ_MAX,
  TRAILER_BYTES,
  ValueKind,
} from "../internal_key.ts";
import { type BlockCache, type CacheEntry, newOwnerId } from "../cache/block_cache.ts";
import type { Cursor } from "../iterator/cursor.ts";
import { TwoLevelCursor } from "../iterator/two_level.ts";
import { PackedKeys } from "../version/packed_keys.ts";
import { Block, BlockCursor } from "./block.ts";
import { PEEK_BLOCK_BYTES, peekBlock, PeekedBlockCursor } from "./block_peek.ts";
import { bloomMayContain } from "./bloom.ts";
import { blockedBloomMayContain } from "./bloom_blocked.ts";
import {
  BLOCKED_FILTER_META_NAME,
  type BlockHandle,
  checkHandle,
  decodeHandle,
  FILTER_META_NAME,
  readBlock,
  readFooter,
} from "./format.ts";

export interface TableEntry {
  readonly kind: ValueKind;
  /** A copy the caller owns (a blob reference for kind BlobRef). */
  readonly value: Uint8Array;
}

const EMPTY = new Uint8Array(0);
/**
 * Where a point get reads a block the cache does not admit (block_cache.ts): the get copies
 * its value out before returning, so one buffer serves every reader of the thread. Blocks
 * larger than it (over 64 KiB: rare, a large value's own block) are allocated.
 */
const POINT_SCRATCH = new Uint8Array(64 * 1024);

/**
 * Decodes every (key, block handle) of an index or metaindex block. Keys are copied byte
 * by byte and handles read in place: a table open decodes one entry per data block, and
 * a typed-array view per key and per value cost most of the open (profile of a grown
 * node, which opens every compaction output).
 */
function decodeHandles(block: Block): { keys: Uint8Array[]; handles: BlockHandle[] } {
  const keys: Uint8Array[] = [];
  const handles: BlockHandle[] = [];
  const d = block.data;
  let r = new ByteReader(d, 0, block.restartsAt);
  let last = new Uint8Array(0);
  try {
    while (r.remaining > 0) {
      const shared = r.varint();
      const unshared = r.varint();
      const vlen = r.varint();
      if (shared > last.length) throw new DecodeError("shared prefix too long", r.offset);
      const at = r.offset;
      if (unshared + vlen > block.restartsAt - at) throw new DecodeError("entry past end", at);
      const key = new Uint8Array(shared + unshared);
      for (let i = 0; i < shared; i++) key[i] = last[i];
      for (let i = 0; i < unshared; i++) key[shared + i] = d[at + i];
      handles.push(decodeEntryHandle(d, at + unshared, vlen, block));
      r = new ByteReader(d, at + unshared + vlen, block.restartsAt);
      keys.push(key);
      last = key;
    }
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new CorruptionError(block.file, block.offset + err.offset, err.message);
    }
    throw err;
  }
  return { keys, handles };
}

export class TableReader {
  /** The index keys (internal keys), packed: one object for the binary search to touch. */
  readonly #index: PackedKeys;
  readonly #handles: BlockHandle[];
  readonly #filter: Uint8Array | undefined;
  /** The filter is a blocked one (bloom2); else classic (bloom1). */
  readonly #blockedFilter: boolean = false;
  readonly #cached = new Map<number, CacheEntry>();
  /** Names this reader's blocks in the cache's admission window. */
  readonly #ownerId = newOwnerId();
  #getCursor: BlockCursor | undefined;

  /** Open file, or undefined after `closeFile()` (reopened on the next block read). */
  #file: File | undefined;
  /** Set on use; the table cache gives such a reader a second chance before dropping it. */
  visited = false;
  /** The same for the table cache's budget of open files. */
  fileVisited = false;

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
    const { keys, handles } = decodeHandles(index);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      checkHandle(handles[i], limit, name);
      if (key.length < TRAILER_BYTES || readTrailerSeq(key, key.length - 8) < 0) {
        throw new CorruptionError(name, footer.index.offset, "bad index key");
      }
    }
    this.#index = new PackedKeys(keys);
    this.#handles = handles;
    if (this.#handles.length === 0) {
      throw new CorruptionError(name, footer.index.offset, "empty index");
    }
    const metaBlock = new Block(
      readBlock(file, name, footer.metaindex),
      name,
      footer.metaindex.offset,
    );
    const meta = decodeHandles(metaBlock);
    // A table has one filter; should it name both kinds, the blocked one is used.
    for (const blocked of [true, false]) {
      const want = blocked ? BLOCKED_FILTER_META_NAME : FILTER_META_NAME;
      const i = meta.keys.findIndex((k) => equalBytes(k, want));
      if (i < 0) continue;
      checkHandle(meta.handles[i], limit, name);
      this.#filter = readBlock(file, name, meta.handles[i]);
      this.#blockedFilter = blocked;
      break;
    }
  }

  /**
   * Memory this reader holds while resident: the packed index, its block handles (an
   * object of two numbers each, ~48 bytes in either engine), the filter, and a fixed part.
   */
  get residentBytes(): number {
    const filter = this.#filter === undefined ? 0 : this.#filter.byteLength;
    const index = this.#index.bytes.byteLength + this.#index.ends.byteLength;
    return 1024 + index + this.#handles.length * 48 + filter;
  }

  get blockCount(): number {
    return this.#handles.length;
  }

  /** Index of the first block whose last key is at or after (key, seq); blockCount if none. */
  findBlock(key: Uint8Array, seq: number): number {
    const bytes = this.#index.bytes, ends = this.#index.ends;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = mid === 0 ? 0 : ends[mid - 1];
      if (compareStored(bytes, at, ends[mid] - at, key, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Where `key` would start in the file: the offset of the first data block
   * whose last key is at or after it (the file's data size past the last).
   * For range size estimates (range_size.ts); reads nothing from disk.
   */
  offsetOf(key: Uint8Array): number {
    const i = this.findBlock(key, SEQ_MAX);
    return i < this.#handles.length ? this.#handles[i].offset : this.dataBytes;
  }

  /** Calls `visit` with each data block's last user key and its bytes on disk, in order. */
  forEachBlock(visit: (lastUserKey: Uint8Array, bytes: number) => void): void {
    for (let i = 0; i < this.#handles.length; i++) {
      const k = this.#index.at(i);
      visit(k.subarray(0, k.length - TRAILER_BYTES), this.#handles[i].size);
    }
  }

  /** Where the data blocks end (the index, filter and footer follow). */
  get dataBytes(): number {
    const h = this.#handles[this.#handles.length - 1];
    return h.offset + h.size;
  }

  /** Loads data block `i`, from the cache when present. */
  block(i: number, fillCache = true): Block {
    const h = this.#handles[i];
    const hit = this.cache.lookup(this.#cached, h.offset);
    if (hit !== undefined) return hit;
    const file = this.#file ?? (this.#file = this.reopen());
    const block = new Block(readBlock(file, this.name, h), this.name, h.offset);
    // The same admission as point gets: a one-time scan over a large store leaves the cache's
    // hot blocks in place.
    if (fillCache && this.cache.admit(this.#ownerId, h.offset)) {
      this.cache.insert(this.#cached, h.offset, block);
    }
    return block;
  }

  /**
   * Data block `i` for a point get, valid until the next point get of any reader: a miss the
   * cache does not admit is read into the shared scratch buffer.
   */
  #pointBlock(i: number): Block {
    const h = this.#handles[i];
    const hit = this.cache.lookup(this.#cached, h.offset);
    if (hit !== undefined) return hit;
    const file = this.#file ?? (this.#file = this.reopen());
    if (!this.cache.admit(this.#ownerId, h.offset)) {
      return new Block(readBlock(file, this.name, h, POINT_SCRATCH), this.name, h.offset);
    }
    const block = new Block(readBlock(file, this.name, h), this.name, h.offset);
    this.cache.insert(this.#cached, h.offset, block);
    return block;
  }

  /** The newest entry for `key` visible at `seq`, or undefined. `hash` is bloomHash(key). */
  get(key: Uint8Array, seq: number, hash: number): TableEntry | undefined {
    const f = this.#filter;
    if (f !== undefined) {
      const may = this.#blockedFilter ? blockedBloomMayContain(f, hash) : bloomMayContain(f, hash);
      if (!may) return undefined;
    }
    const i = this.findBlock(key, seq);
    if (i >= this.#handles.length) return undefined;
    const block = this.#pointBlock(i);
    let c = this.#getCursor;
    if (c === undefined) c = this.#getCursor = new BlockCursor(block);
    else if (c.block !== block) c.reset(block);
    c.seek(key, seq);
    if (!c.valid() || !c.keyEquals(key)) return undefined;
    const kind = c.kind();
    return { kind, value: kind === ValueKind.Delete ? EMPTY : c.valueCopy() };
  }

  cursor(fillCache = true): Cursor {
    // Two levels: the index picks a data block, a BlockCursor walks it.
    return new TwoLevelCursor({
      partCount: this.blockCount,
      openPart: (i) => this.#openBlock(i, fillCache),
      findPart: (key, seq) => this.findBlock(key, seq),
    }, "table");
  }

  /** A cursor over data block `i`; a large one not cached is opened by its start (peek). */
  #openBlock(i: number, fillCache: boolean): Cursor {
    const h = this.#handles[i];
    if (h.size > PEEK_BLOCK_BYTES && this.cache.lookup(this.#cached, h.offset) === undefined) {
      const file = this.#file ?? (this.#file = this.reopen());
      const entries = peekBlock(file, h, this.#index.at(i));
      if (entries !== undefined) {
        return new PeekedBlockCursor(entries, () => this.block(i, fillCache));
      }
    }
    return new BlockCursor(this.block(i, fillCache));
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

/** The handle in an entry's value (`length` bytes at `at`); CorruptionError at the block. */
function decodeEntryHandle(d: Uint8Array, at: number, length: number, block: Block): BlockHandle {
  try {
    return decodeHandle(new ByteReader(d, at, at + length));
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new CorruptionError(block.file, block.offset, `bad block handle`);
    }
    throw err;
  }
}
