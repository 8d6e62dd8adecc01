/**
 * Writes one SSTable (layout: docs/formats.md#sstable): data blocks of about
 * `blockBytes`, then the bloom filter block, the metaindex block (meta block
 * name → handle), the index block (last internal key of each data block →
 * handle) and the fixed-size footer. Output is buffered and appended.
 */
import type { File } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { ByteWriter } from "../../util/coding.ts";
import { compareStored, type ValueKind, writeTrailer } from "../internal_key.ts";
import { BlockBuilder } from "./block_builder.ts";
import { bloomHash, buildBloom } from "./bloom.ts";
import { type BlockCompression, BlockType, compressBlock } from "./compression.ts";
import {
  type BlockHandle,
  blockTrailer,
  encodeFooter,
  encodeHandle,
  FILTER_META_NAME,
  TABLE_FORMAT_VERSION,
  TABLE_FORMAT_VERSION_COMPRESSED,
} from "./format.ts";

export const TABLE_BLOCK_BYTES = 4096;
const OUTPUT_BUFFER_BYTES = 1 << 20;

export class TableBuilder {
  readonly #data = new BlockBuilder();
  readonly #index = new BlockBuilder(1);
  readonly #out = new ByteWriter(OUTPUT_BUFFER_BYTES + TABLE_BLOCK_BYTES * 2);
  readonly #hashes: number[] = [];
  #offset = 0;
  #ikey = new Uint8Array(256);
  /** The previous entry's internal key (buffers swap on each add: no per-entry copy). */
  #prev = new Uint8Array(256);
  #prevLen = -1;
  #lastUserKeyLen = -1;
  #firstKey: Uint8Array | undefined;
  #entries = 0;
  #handle = new Uint8Array(20);
  /** Set once a block is stored compressed: the footer then says version 2. */
  #compressed = false;

  constructor(
    readonly file: File,
    readonly blockBytes = TABLE_BLOCK_BYTES,
    /** Data blocks only: the index, filter and metaindex are read once per open. */
    readonly compression: BlockCompression = "none",
  ) {}

  get entries(): number {
    return this.#entries;
  }

  /** Bytes written or buffered so far. */
  get fileBytes(): number {
    return this.#offset + this.#out.length + this.#data.estimatedBytes;
  }

  get smallest(): Uint8Array {
    assert(this.#firstKey !== undefined, "empty table has no smallest key");
    return this.#firstKey;
  }

  get largest(): Uint8Array {
    assert(this.#prevLen >= 0, "empty table has no largest key");
    return this.#prev.slice(0, this.#prevLen);
  }

  /** Adds an entry; entries must arrive in internal-key order. */
  add(userKey: Uint8Array, seq: number, kind: ValueKind, value: Uint8Array): void {
    const klen = userKey.length + 8;
    if (klen > this.#ikey.length) this.#ikey = new Uint8Array(klen * 2);
    const buf = this.#ikey;
    buf.set(userKey);
    writeTrailer(buf, userKey.length, seq, kind);
    if (this.#prevLen >= 0) {
      const order = compareStored(this.#prev, 0, this.#prevLen, userKey, seq);
      assert(order < 0, "table keys out of order");
    } else this.#firstKey = buf.slice(0, klen);
    if (!this.#sameUserKey(userKey)) this.#hashes.push(bloomHash(userKey));
    this.#data.add(buf.subarray(0, klen), value);
    this.#ikey = this.#prev;
    this.#prev = buf;
    this.#prevLen = klen;
    this.#lastUserKeyLen = userKey.length;
    this.#entries++;
    if (this.#data.estimatedBytes >= this.blockBytes) this.#flushDataBlock();
  }

  #sameUserKey(userKey: Uint8Array): boolean {
    if (this.#prevLen < 0 || this.#lastUserKeyLen !== userKey.length) return false;
    const last = this.#prev;
    for (let i = 0; i < userKey.length; i++) if (last[i] !== userKey[i]) return false;
    return true;
  }

  #flushDataBlock(): void {
    if (this.#data.empty) return;
    const h = this.#writeBlock(this.#data.finish(), this.compression);
    this.#data.reset();
    assert(this.#prevLen >= 0, "data block without keys");
    const last = this.#prev.subarray(0, this.#prevLen); // the index block copies it
    this.#index.add(last, this.#handle.subarray(0, encodeHandle(this.#handle, 0, h)));
  }

  #writeBlock(contents: Uint8Array, compression: BlockCompression = "none"): BlockHandle {
    const { type, bytes } = compressBlock(contents, compression);
    if (type !== BlockType.Uncompressed) this.#compressed = true;
    const h = { offset: this.#offset + this.#out.length, size: bytes.length };
    if (bytes.length > OUTPUT_BUFFER_BYTES) {
      this.#drain();
      this.file.append(bytes);
      this.file.append(blockTrailer(bytes, type));
      this.#offset += bytes.length + 5;
    } else {
      this.#out.bytes(bytes).bytes(blockTrailer(bytes, type));
      if (this.#out.length >= OUTPUT_BUFFER_BYTES) this.#drain();
    }
    return h;
  }

  #drain(): void {
    if (this.#out.length === 0) return;
    this.file.append(this.#out.view());
    this.#offset += this.#out.length;
    this.#out.reset();
  }

  /** Writes the meta blocks and footer; returns the file size. Does not sync. */
  finish(): number {
    assert(this.#entries > 0, "a table needs at least one entry");
    this.#flushDataBlock();
    const filter = this.#writeBlock(buildBloom(this.#hashes));
    const meta = new BlockBuilder(1);
    meta.add(FILTER_META_NAME, this.#handle.subarray(0, encodeHandle(this.#handle, 0, filter)));
    const metaindex = this.#writeBlock(meta.finish());
    const index = this.#writeBlock(this.#index.finish());
    const version = this.#compressed ? TABLE_FORMAT_VERSION_COMPRESSED : TABLE_FORMAT_VERSION;
    this.#out.bytes(encodeFooter(metaindex, index, version));
    this.#drain();
    return this.#offset;
  }
}
