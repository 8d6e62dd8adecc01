/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8, plus
 * leveldb's mask: a CRC stored next to data that itself contains CRCs is
 * rotated and offset so that a CRC of a CRC does not look valid
 * (leveldb util/crc32c.h `Mask`).
 */

const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i];
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[s * 256 + i] = c >>> 0;
    }
  }
  return t;
}

/**
 * Extends `crc` (a finished CRC32C value, 0 for none) with `data[start, end)`.
 * `crc32c(b) === crc32cExtend(crc32cExtend(0, b, 0, k), b, k, b.length)`.
 */
export function crc32cExtend(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const t = TABLES;
  let c = ~crc >>> 0;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const lo = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    const hi = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
      t[768 + (hi & 0xff)] ^ t[512 + ((hi >>> 8) & 0xff)] ^
      t[256 + ((hi >>> 16) & 0xff)] ^ t[hi >>> 24];
    i += 8;
  }
  while (i < end) c = t[(c ^ data[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC32C of `data[start, end)`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return crc32cExtend(0, data, start, end);
}

const MASK_DELTA = 0xa282ead8;

/** The value stored on disk for a CRC. */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** Inverse of `maskCrc`. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
