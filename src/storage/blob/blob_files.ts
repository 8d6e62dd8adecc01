/**
 * Reads values out of blob files (docs/formats.md#blob-files) for point gets, scans and the
 * compactions that move values out of mostly-dead files. Keeps up to BLOB_FILES_OPEN_MAX
 * files open, least recently used closed first. With a cache (the engine's block cache, shared
 * with the tables' blocks and under its admission rule), a value read again is served from
 * memory: a hot key's GET otherwise paid a file read each time.
 */
import { BLOB_FILES_OPEN_MAX } from "../../limits_storage.ts";
import type { File, FileSystem } from "../../platform/types.ts";
import { DecodeError, readFixed32 } from "../../util/coding.ts";
import { crc32c, unmaskCrc } from "../../util/crc32c.ts";
import { CorruptionError, NotFoundError } from "../../util/errors.ts";
import { blobName, join } from "../version/file_names.ts";
import { BLOB_RECORD_HEADER_BYTES, readBlobRef } from "./blob_ref.ts";
import { type BlockCache, type CacheEntry, newOwnerId } from "../cache/block_cache.ts";
import { BlockType, decompressBlock } from "../sstable/compression.ts";

/** A cached value (the cache charges its bytes). */
interface CachedValue {
  readonly data: Uint8Array;
}

/** One blob file's entries in the cache, by record offset, and its name there. */
interface CacheSlot {
  readonly owner: Map<number, CacheEntry<CachedValue>>;
  readonly id: number;
}

export class BlobFiles {
  /** Open files by number; insertion order is the least-recently-used order. */
  readonly #open = new Map<number, File>();
  readonly #slots = new Map<number, CacheSlot>();

  constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly cache?: BlockCache,
    readonly maxOpen: number = BLOB_FILES_OPEN_MAX,
  ) {}

  /**
   * The value the reference `ref` names, as a new array. `where` names the table the reference
   * came from, for the error when it is malformed.
   */
  readRef(ref: Uint8Array, where: string): Uint8Array {
    const r = readBlobRef(ref, where);
    return this.read(r.file, r.offset, r.length, r.rawLength);
  }

  /**
   * The value whose record of `length` stored bytes starts at `offset` of blob file `number`
   * (`rawLength` > 0: stored compressed, the value's size).
   */
  read(number: number, offset: number, length: number, rawLength = 0): Uint8Array {
    const cache = this.cache;
    if (cache === undefined) return this.#read(number, offset, length, rawLength);
    let slot = this.#slots.get(number);
    if (slot === undefined) this.#slots.set(number, slot = { owner: new Map(), id: newOwnerId() });
    const hit = cache.lookup(slot.owner, offset);
    if (hit !== undefined) return hit.data.slice(); // the caller's own copy
    const value = this.#read(number, offset, length, rawLength);
    if (cache.admit(slot.id, offset)) cache.insert(slot.owner, offset, { data: value.slice() });
    return value;
  }

  #read(number: number, offset: number, length: number, rawLength: number): Uint8Array {
    const name = blobName(number);
    const record = this.#file(number, name).read(offset, BLOB_RECORD_HEADER_BYTES + length);
    if (record.length !== BLOB_RECORD_HEADER_BYTES + length) {
      throw new CorruptionError(name, offset, "blob record past the end of the file");
    }
    const want = unmaskCrc(readFixed32(record, 0));
    if (crc32c(record, BLOB_RECORD_HEADER_BYTES) !== want) {
      throw new CorruptionError(name, offset, "blob record checksum mismatch");
    }
    const stored = record.subarray(BLOB_RECORD_HEADER_BYTES);
    if (rawLength === 0) return stored;
    let value: Uint8Array;
    try {
      value = decompressBlock(stored, BlockType.Lz4);
    } catch (err) {
      if (err instanceof DecodeError) throw new CorruptionError(name, offset, err.message);
      throw err;
    }
    if (value.length !== rawLength) {
      throw new CorruptionError(name, offset, `blob value of ${value.length}, not ${rawLength}`);
    }
    return value;
  }

  #file(number: number, name: string): File {
    const hit = this.#open.get(number);
    if (hit !== undefined) {
      this.#open.delete(number);
      this.#open.set(number, hit);
      return hit;
    }
    let f: File;
    try {
      f = this.fs.open(join(this.dir, name), { readOnly: true });
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new CorruptionError(name, 0, "blob file named by a table is missing");
      }
      throw err;
    }
    this.#open.set(number, f);
    if (this.#open.size > this.maxOpen) {
      const [oldest, file] = this.#open.entries().next().value as [number, File];
      this.#open.delete(oldest);
      file.close();
    }
    return f;
  }

  /** Closes blob file `number` if open and drops its cached values (it is being deleted). */
  evict(number: number): void {
    this.#open.get(number)?.close();
    this.#open.delete(number);
    const slot = this.#slots.get(number);
    if (slot !== undefined) this.cache?.forget(slot.owner);
    this.#slots.delete(number);
  }

  closeAll(): void {
    for (const f of this.#open.values()) f.close();
    this.#open.clear();
  }
}
