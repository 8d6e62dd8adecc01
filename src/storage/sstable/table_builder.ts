/**
 * Writes one SSTable (layout: docs/formats.md#sstable): data blocks of about
 * `blockBytes`, then the bloom filter block, the metaindex block (meta block
 * name → handle), the index block (last internal key of each data block →
 * handle) and the fixed-size footer. Output is buffered and appended.
 */
import type { File } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { ByteWriter } from "../../util/coding.ts";
import { readTrailerSeq, type ValueKind, writeTrailer } from "../internal_key.ts";
import { BlockBuilder } from "./block_builder.ts";
import { bloomHashRange, buildBloom } from "./bloom.ts";
import { buildBlockedBloom } from "./bloom_blocked.ts";
import { type BlockCompression, BlockType, compressBlock } from "./compression.ts";
import {
  BLOCKED_FILTER_META_NAME,
  type BlockHandle,
  blockTrailer,
  encodeFooter,
  encodeHandle,
  FILTER_META_NAME,
  type FilterKind,
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
    /** bloom1 only to test that tables written before bloom2 still read. */
    readonly filter: FilterKind = "bloom2",
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
    this.addFrom(userKey, 0, userKey.length, seq, kind, value, 0, value.length);
  }

  /**
   * Adds the entry with user key `kbuf[koff, koff+ulen)` and value `vbuf[voff, voff+vlen)`
   * (a memtable node's or a flush run's bytes): no view is made per entry.
   */
  addFrom(
    kbuf: Uint8Array,
    koff: number,
    ulen: number,
    seq: number,
    kind: ValueKind,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
  ): void {
    const klen = ulen + 8;
    if (klen > this.#ikey.length) this.#ikey = new Uint8Array(klen * 2);
    const buf = this.#ikey;
    for (let i = 0; i < ulen; i++) buf[i] = kbuf[koff + i];
    writeTrailer(buf, ulen, seq, kind);
    if (this.#prevLen < 0) {
      this.#firstKey = buf.slice(0, klen);
      this.#hashes.push(bloomHashRange(buf, 0, ulen));
    } else if (!this.#sameUserKeyAfter(buf, ulen, seq)) {
      this.#hashes.push(bloomHashRange(buf, 0, ulen));
    }
    this.#data.addFrom(buf, klen, vbuf, voff, vlen);
    this.#ikey = this.#prev;
    this.#prev = buf;
    this.#prevLen = klen;
    this.#entries++;
    if (this.#data.estimatedBytes >= this.blockBytes) this.#flushDataBlock();
  }

  /**
   * Whether user key `key[0, ulen)` equals the previous entry's, checking in the same pass that
   * the entry sorts after it (a table out of order is a bug, never written).
   */
  #sameUserKeyAfter(key: Uint8Array, ulen: number, seq: number): boolean {
    const prev = this.#prev, pu = this.#prevLen - 8;
    const n = pu < ulen ? pu : ulen;
    let i = 0;
    while (i < n && prev[i] === key[i]) i++;
    if (i < n) {
      assert(prev[i] < key[i], "table keys out of order");
      return false;
    }
    assert(pu <= ulen, "table keys out of order");
    if (pu < ulen) return false;
    assert(readTrailerSeq(prev, pu) > seq, "table keys out of order");
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
    const classic = this.filter === "bloom1";
    const filter = this.#writeBlock(
      classic ? buildBloom(this.#hashes) : buildBlockedBloom(this.#hashes),
    );
    const meta = new BlockBuilder(1);
    const name = classic ? FILTER_META_NAME : BLOCKED_FILTER_META_NAME;
    meta.add(name, this.#handle.subarray(0, encodeHandle(this.#handle, 0, filter)));
    const metaindex = this.#writeBlock(meta.finish());
    const index = this.#writeBlock(this.#index.finish());
    const version = this.#compressed ? TABLE_FORMAT_VERSION_COMPRESSED : TABLE_FORMAT_VERSION;
    this.#out.bytes(encodeFooter(metaindex, index, version));
    this.#drain();
    return this.#offset;
  }
}
