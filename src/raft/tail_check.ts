/**
 * Tells a torn tail from damage inside the last block of a log segment.
 *
 * The record reader (util/record_format.ts) calls a failed read a torn tail
 * when no valid record follows in a later 32 KiB block. Inside the last block
 * that rule cannot see synced records written after the damaged one, so a
 * flipped bit there would silently truncate durable, acknowledged state. A
 * crash only ever cuts the file short (the rest of the last write is missing),
 * so any valid physical record after the failure point means corruption.
 */
import { crc32cExtend, maskCrc } from "../util/crc32c.ts";
import { RECORD_BLOCK_BYTES, RECORD_HEADER_BYTES } from "../util/record_format.ts";

const TYPE_FULL = 1;
const TYPE_LAST = 4;

/** Offset of the first valid physical record starting after `from`, if any. */
export function findValidRecordAfter(bytes: Uint8Array, from: number): number | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = from; o + RECORD_HEADER_BYTES <= bytes.length; o++) {
    const type = dv.getUint8(o + 6);
    if (type < TYPE_FULL || type > TYPE_LAST) continue;
    const len = dv.getUint16(o + 4, true);
    const end = o + RECORD_HEADER_BYTES + len;
    if (len === 0 || end > bytes.length) continue;
    // Physical records never cross a block boundary.
    if ((o % RECORD_BLOCK_BYTES) + RECORD_HEADER_BYTES + len > RECORD_BLOCK_BYTES) continue;
    const crc = crc32cExtend(
      crc32cExtend(0, new Uint8Array([type])),
      bytes,
      o + RECORD_HEADER_BYTES,
      end,
    );
    if (maskCrc(crc) === dv.getUint32(o, true)) return o;
  }
  return undefined;
}
