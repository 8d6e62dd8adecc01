/**
 * Block compression for SSTables (docs/formats.md#sstable, decision 0016). A block is
 * stored compressed only when that saves at least an eighth of its size (LevelDB's
 * rule); otherwise it is stored as is, so incompressible data costs one failed try
 * at write time and nothing at read time. The trailer's type byte names the codec.
 *
 *   lz4 block := raw_size:varint lz4_sequences        (lz4.ts)
 */
import { ByteReader, DecodeError, writeVarint } from "../../util/coding.ts";
import { lz4Compress, lz4Decompress } from "./lz4.ts";

/** The `compression` option: what new tables' data blocks are written with. */
export type BlockCompression = "none" | "lz4";
export const BLOCK_COMPRESSIONS: readonly BlockCompression[] = ["none", "lz4"];

/** Block types in the trailer. Written to disk: never renumber, never reuse. */
export const BlockType = {
  Uncompressed: 0,
  Lz4: 1,
} as const;

/** LZ4 cannot expand data by more than this factor; a larger raw size is corruption. */
const LZ4_MAX_RATIO = 255;
const VARINT_MAX_BYTES = 5;

/** Output buffer reused across blocks up to this size (a huge value's block gets its own). */
const SCRATCH_RETAINED_BYTES = 1 << 20;
let scratch = new Uint8Array(8192);

export interface StoredBlock {
  readonly type: number;
  /** The bytes to store; a view valid until the next call. */
  readonly bytes: Uint8Array;
}

/** The form `contents` is stored in under `compression`. */
export function compressBlock(contents: Uint8Array, compression: BlockCompression): StoredBlock {
  if (compression === "none" || contents.length < 64) {
    return { type: BlockType.Uncompressed, bytes: contents };
  }
  const limit = contents.length - (contents.length >>> 3);
  if (scratch.length < limit && limit <= SCRATCH_RETAINED_BYTES) {
    scratch = new Uint8Array(Math.min(limit * 2, SCRATCH_RETAINED_BYTES));
  }
  const out = scratch.length >= limit ? scratch : new Uint8Array(limit);
  const end = lz4Compress(contents, out, writeVarint(out, 0, contents.length), limit);
  if (end < 0) return { type: BlockType.Uncompressed, bytes: contents };
  return { type: BlockType.Lz4, bytes: out.subarray(0, end) };
}

/**
 * The contents of a stored block of `type` (its checksum already verified). Throws
 * DecodeError (offset within `stored`) for an unknown type or a malformed body.
 */
export function decompressBlock(stored: Uint8Array, type: number): Uint8Array {
  if (type === BlockType.Uncompressed) return stored;
  if (type !== BlockType.Lz4) throw new DecodeError(`unknown block type ${type}`, stored.length);
  const r = new ByteReader(stored, 0, Math.min(stored.length, VARINT_MAX_BYTES));
  const size = r.varint();
  if (size > (stored.length - r.offset) * LZ4_MAX_RATIO) {
    throw new DecodeError(`lz4: raw size ${size} too large for ${stored.length} bytes`, 0);
  }
  const out = new Uint8Array(size);
  lz4Decompress(stored, r.offset, stored.length, out);
  return out;
}
