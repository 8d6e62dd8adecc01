/**
 * A large data block's keys without its value (decision 0020, gap 3). A value larger than a
 * block (4 KiB) is stored inline, in the block it ends: the table builder closes a block as soon
 * as its entries reach the block size, so every entry of a block but its last lies in its first
 * block-size bytes, and the last one is the block's index key. A cursor that only steps over
 * such a block (a bounded scan's seek that lands in it, a keys-only walk, a merge ordering its
 * children) needs the keys, not the 100 MiB value: reading, checksumming and decompressing it
 * each time is what made a region split between two 100 MiB values block its node for seconds.
 *
 * So a block stored larger than PEEK_BLOCK_BYTES is opened by its start: PEEK_RAW_BYTES of its
 * contents (a prefix of the stored bytes, decompressed as far as they go for an LZ4 block), the
 * entries before the last one decoded from them, the last one known by its key (the index key)
 * and read whole — checksum and all — only when its value is asked for. Then every key the
 * cursor handed out is checked against the block read whole: a key-only walk trusts the
 * prefix's bytes unchecked (the checksum covers the whole stored block, which is what it avoids
 * reading), a read of a value never does. Whatever does not decode as expected (another block
 * size, a damaged prefix) falls back to reading the block whole, which reports corruption.
 */
import { compareBytes } from "../../util/bytes.ts";
import { ByteReader } from "../../util/coding.ts";
import { CorruptionError } from "../../util/errors.ts";
import type { File } from "../../platform/types.ts";
import { readTrailerSeq, TRAILER_BYTES, ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";
import { type Block, BlockCursor } from "./block.ts";
import { BlockType } from "./compression.ts";
import { BLOCK_TRAILER_BYTES, type BlockHandle } from "./format.ts";
import { lz4DecompressPrefix } from "./lz4.ts";

/**
 * Blocks stored larger than this (16 blocks) are opened by their start; a 4 KiB block never
 * is. Stored bytes, not contents: LZ4 shrinks a repetitive value up to 255-fold, so a block of
 * up to 16 MiB of such contents is still read whole, a 100 MiB one no longer.
 */
export const PEEK_BLOCK_BYTES = 64 << 10;
/** Contents decoded from a peeked block's start: its small entries and the large one's key. */
const PEEK_RAW_BYTES = 64 << 10;
/** Stored bytes read for that: LZ4 expands no input by more than 1/255 plus a few bytes. */
const PEEK_STORED_BYTES = PEEK_RAW_BYTES + Math.ceil(PEEK_RAW_BYTES / 255) + 64;

/** An entry decoded from a block's start: its internal key, and its value unless it is large. */
interface PeekedEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** The block's contents from its start, as far as PEEK_RAW_BYTES (undefined: unknown type). */
function contentsPrefix(file: File, h: BlockHandle): Uint8Array | undefined {
  const trailer = new Uint8Array(BLOCK_TRAILER_BYTES);
  if (file.readInto(trailer, h.offset + h.size) !== trailer.length) return undefined;
  const stored = new Uint8Array(Math.min(h.size, PEEK_STORED_BYTES));
  if (file.readInto(stored, h.offset) !== stored.length) return undefined;
  if (trailer[0] === BlockType.Uncompressed) return stored.subarray(0, PEEK_RAW_BYTES);
  if (trailer[0] !== BlockType.Lz4) return undefined;
  const r = new ByteReader(stored, 0, Math.min(stored.length, 5));
  const out = new Uint8Array(Math.min(r.varint(), PEEK_RAW_BYTES));
  return out.subarray(0, lz4DecompressPrefix(stored, r.offset, stored.length, out));
}

/**
 * The entries of block `h`, whose last internal key is `lastKey`, from its start; undefined
 * when they do not decode as a large block's (the caller reads the block whole).
 */
export function peekBlock(
  file: File,
  h: BlockHandle,
  lastKey: Uint8Array,
): PeekedEntry[] | undefined {
  let d: Uint8Array | undefined;
  try {
    d = contentsPrefix(file, h);
  } catch {
    return undefined; // the whole read reports what is wrong
  }
  if (d === undefined) return undefined;
  const entries: PeekedEntry[] = [];
  let last = new Uint8Array(0);
  for (let off = 0; off < d.length;) {
    const r = new ByteReader(d, off, d.length);
    let shared: number, unshared: number, vlen: number;
    try {
      [shared, unshared, vlen] = [r.varint(), r.varint(), r.varint()];
    } catch {
      return undefined;
    }
    const at = r.offset;
    if (shared > last.length || at + unshared > d.length) return undefined;
    const key = new Uint8Array(shared + unshared);
    key.set(last.subarray(0, shared));
    key.set(d.subarray(at, at + unshared), shared);
    if (!wellFormed(key)) return undefined;
    const end = at + unshared + vlen;
    if (compareBytes(key, lastKey) === 0) {
      // The large entry: its value runs past what was decoded (else the block is small).
      return end > d.length ? [...entries, { key, value: undefined }] : undefined;
    }
    if (end > d.length) return undefined;
    entries.push({ key, value: d.slice(at + unshared, end) });
    last = key;
    off = end;
  }
  return undefined;
}

/** An internal key with a trailer: a sequence number and a known kind. */
function wellFormed(key: Uint8Array): boolean {
  const n = key.length - TRAILER_BYTES;
  if (n < 0 || readTrailerSeq(key, n) < 0) return false;
  return key[n] === ValueKind.Put || key[n] === ValueKind.Delete || key[n] === ValueKind.BlobRef;
}

/** A cursor over a peeked block's entries; the block is read whole for its large value. */
export class PeekedBlockCursor implements Cursor {
  #i: number;
  #value: Uint8Array | undefined;

  constructor(
    readonly entries: readonly PeekedEntry[],
    /** The block read whole (checksummed). */
    readonly load: () => Block,
  ) {
    this.#i = entries.length;
  }

  valid(): boolean {
    return this.#i < this.entries.length;
  }
  seekToFirst(): void {
    this.#i = 0;
  }
  seekToLast(): void {
    this.#i = this.entries.length - 1;
  }
  seek(key: Uint8Array, seq: number): void {
    this.#i = 0;
    while (this.valid() && this.#before(key, seq)) this.#i++;
  }
  /** The current entry sorts before (key, seq): a smaller user key, or the same and newer. */
  #before(key: Uint8Array, seq: number): boolean {
    const c = compareBytes(this.key(), key);
    return c < 0 || (c === 0 && this.seq() > seq);
  }
  next(): void {
    if (this.valid()) this.#i++;
  }
  prev(): void {
    this.#i = this.#i > 0 ? this.#i - 1 : this.entries.length;
  }
  #entry(): PeekedEntry {
    const e = this.entries[this.#i];
    if (e === undefined) throw new Error("block cursor is not valid");
    return e;
  }
  key(): Uint8Array {
    const k = this.#entry().key;
    return k.subarray(0, k.length - TRAILER_BYTES);
  }
  seq(): number {
    const k = this.#entry().key;
    return readTrailerSeq(k, k.length - TRAILER_BYTES);
  }
  kind(): ValueKind {
    const k = this.#entry().key;
    return k[k.length - TRAILER_BYTES] as ValueKind; // checked by wellFormed
  }
  value(): Uint8Array {
    return this.#entry().value ?? this.#large();
  }
  copyValue(sink: ByteSink): Uint8Array {
    const v = this.value();
    return sink.copyRange(v, 0, v.length);
  }

  /** The large value, from the block read whole; every peeked key checked against it. */
  #large(): Uint8Array {
    if (this.#value !== undefined) return this.#value;
    const block = this.load();
    const c = new BlockCursor(block);
    c.seekToFirst();
    for (const e of this.entries) {
      if (!c.valid() || compareBytes(c.rawKey(), e.key) !== 0) {
        throw new CorruptionError(block.file, block.offset, "block start differs from its peek");
      }
      this.#value = c.value();
      c.next();
    }
    if (c.valid() || this.#value === undefined) {
      throw new CorruptionError(block.file, block.offset, "block has entries its peek lacks");
    }
    return this.#value;
  }
}
