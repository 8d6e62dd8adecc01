/**
 * SSTable framing: block handles, the block trailer and the footer. Layout in
 * docs/formats.md#sstable:
 *
 *   table   := data_block* filter_block metaindex_block index_block footer
 *   block   := stored  type:u8  crc:fixed32       (masked CRC32C of stored ‖ type)
 *   handle  := offset:varint size:varint           (size of stored, trailer excluded)
 *   footer  := metaindex:handle index:handle zero-padding to 40 bytes
 *              version:fixed32 crc:fixed32 (masked CRC32C of the first 44 bytes)
 *              magic:8 bytes "TinyKVst"           (56 bytes in all)
 *
 * `stored` is the block's contents, compressed when the type says so (compression.ts).
 * Version 1: every block is uncompressed; version 2: blocks may be compressed (so a
 * binary from before compression refuses the table at open rather than mid-read).
 */
import {
  ByteReader,
  DecodeError,
  readFixed32,
  writeFixed32,
  writeVarint,
} from "../../util/coding.ts";
import { crc32c, crc32cExtend, maskCrc } from "../../util/crc32c.ts";
import { CorruptionError } from "../../util/errors.ts";
import type { File } from "../../platform/types.ts";
import { decompressBlock } from "./compression.ts";

export const BLOCK_TRAILER_BYTES = 5;
export const FOOTER_BYTES = 56;
const HANDLES_BYTES = 40;
/** Footer versions: 1 = no compressed block, 2 = blocks may be compressed. */
export const TABLE_FORMAT_VERSION = 1;
export const TABLE_FORMAT_VERSION_COMPRESSED = 2;
export const TABLE_MAGIC: Uint8Array = new TextEncoder().encode("TinyKVst");
/** Meta block holding a classic bloom filter (bloom.ts); tables written before bloom2. */
export const FILTER_META_NAME: Uint8Array = new TextEncoder().encode("filter.tinykv.bloom1");
/**
 * Meta block holding a blocked bloom filter (bloom_blocked.ts), what new tables carry. A
 * binary that knows only bloom1 ignores it and reads such a table without a filter.
 */
/** Which filter a table builder writes: new tables carry bloom2; bloom1 is kept for tests. */
export type FilterKind = "bloom1" | "bloom2";
export const BLOCKED_FILTER_META_NAME: Uint8Array = new TextEncoder().encode(
  "filter.tinykv.bloom2",
);

export interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

export function encodeHandle(out: Uint8Array, at: number, h: BlockHandle): number {
  return writeVarint(out, writeVarint(out, at, h.offset), h.size);
}

export function decodeHandle(r: ByteReader): BlockHandle {
  const offset = r.varint();
  const size = r.varint();
  return { offset, size };
}

/** The 5-byte trailer for `stored` bytes of block type `type` (compression.ts BlockType). */
export function blockTrailer(stored: Uint8Array, type: number): Uint8Array {
  const t = new Uint8Array(BLOCK_TRAILER_BYTES);
  t[0] = type;
  writeFixed32(t, 1, maskCrc(crc32cExtend(crc32c(stored), t, 0, 1)));
  return t;
}

export function encodeFooter(
  metaindex: BlockHandle,
  index: BlockHandle,
  version = TABLE_FORMAT_VERSION,
): Uint8Array {
  const f = new Uint8Array(FOOTER_BYTES);
  encodeHandle(f, encodeHandle(f, 0, metaindex), index);
  writeFixed32(f, HANDLES_BYTES, version);
  writeFixed32(f, HANDLES_BYTES + 4, maskCrc(crc32c(f, 0, HANDLES_BYTES + 4)));
  f.set(TABLE_MAGIC, HANDLES_BYTES + 8);
  return f;
}

export interface Footer {
  readonly metaindex: BlockHandle;
  readonly index: BlockHandle;
}

/** Decodes and checks the footer at the end of a table of `fileSize` bytes. */
export function readFooter(file: File, name: string, fileSize: number): Footer {
  if (fileSize < FOOTER_BYTES) {
    throw new CorruptionError(name, 0, `file of ${fileSize} bytes is too short for a table`);
  }
  const at = fileSize - FOOTER_BYTES;
  const f = file.read(at, FOOTER_BYTES);
  if (f.length !== FOOTER_BYTES) throw new CorruptionError(name, at, "short read of footer");
  for (let i = 0; i < 8; i++) {
    if (f[HANDLES_BYTES + 8 + i] !== TABLE_MAGIC[i]) {
      throw new CorruptionError(name, at + HANDLES_BYTES + 8, "bad table magic number");
    }
  }
  const want = readFixed32(f, HANDLES_BYTES + 4);
  if (want !== maskCrc(crc32c(f, 0, HANDLES_BYTES + 4))) {
    throw new CorruptionError(name, at, "footer checksum mismatch");
  }
  const version = readFixed32(f, HANDLES_BYTES);
  if (version !== TABLE_FORMAT_VERSION && version !== TABLE_FORMAT_VERSION_COMPRESSED) {
    throw new CorruptionError(name, at + HANDLES_BYTES, `unknown table format version ${version}`);
  }
  try {
    const r = new ByteReader(f, 0, HANDLES_BYTES);
    const metaindex = decodeHandle(r);
    const index = decodeHandle(r);
    checkHandle(metaindex, at, name);
    checkHandle(index, at, name);
    return { metaindex, index };
  } catch (err) {
    if (err instanceof DecodeError) throw new CorruptionError(name, at, `footer: ${err.message}`);
    throw err;
  }
}

/** A handle must lie inside the table before `limit`. Throws CorruptionError. */
export function checkHandle(h: BlockHandle, limit: number, name: string): void {
  if (h.offset + h.size + BLOCK_TRAILER_BYTES > limit) {
    throw new CorruptionError(
      name,
      h.offset,
      `block handle (${h.offset}, ${h.size}) past ${limit}`,
    );
  }
}

/**
 * Reads a block, verifies its checksum (over the stored, maybe compressed, bytes) and
 * returns its contents, decompressed. A bad body is a CorruptionError, never garbage.
 * With `scratch` (large enough), the block is read into it: the result may then be a view
 * of `scratch`, valid until its next use.
 */
export function readBlock(
  file: File,
  name: string,
  h: BlockHandle,
  scratch?: Uint8Array,
): Uint8Array {
  const total = h.size + BLOCK_TRAILER_BYTES;
  const buf = scratch !== undefined && scratch.length >= total
    ? scratch.subarray(0, total)
    : new Uint8Array(total);
  const n = file.readInto(buf, h.offset);
  if (n !== buf.length) throw new CorruptionError(name, h.offset, "short read of block");
  const type = buf[h.size];
  const want = readFixed32(buf, h.size + 1);
  if (want !== maskCrc(crc32c(buf, 0, h.size + 1))) {
    throw new CorruptionError(name, h.offset, "block checksum mismatch");
  }
  try {
    return decompressBlock(buf.subarray(0, h.size), type);
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new CorruptionError(name, h.offset + err.offset, `block: ${err.message}`);
    }
    throw err;
  }
}
