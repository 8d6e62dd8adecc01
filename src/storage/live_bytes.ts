/**
 * `Db.liveBytes`: the bytes of the live entries' keys and values in a range, counted without
 * copying a value or reading one from a blob file (a reference holds its value's length). What a
 * region's merge check measures (server/node/region_small_bytes.ts); a scan for it read every
 * value kept in a blob file, one file read each.
 */
import { compareBytes, equalBytes, toBytes } from "../util/bytes.ts";
import { ClosedError } from "../util/errors.ts";
import { blobValueLength, type MutableBlobRef, readBlobRef } from "./blob/blob_ref.ts";
import type { DbState } from "./db_state.ts";
import { ValueKind } from "./internal_key.ts";
import { mergedCursor } from "./scan.ts";
import type { KeyLike } from "./write_batch.ts";

export function rangeLiveBytes(
  s: DbState,
  start: KeyLike,
  end: KeyLike | undefined,
  limit: number,
): number {
  if (s.closed) throw new ClosedError("database is closed");
  const lo = toBytes(start), hi = end === undefined ? undefined : toBytes(end);
  const v = s.vs.current;
  s.vs.pin(v);
  let n = 0, steps = 0;
  const ref: MutableBlobRef = { file: 0, offset: 0, length: 0, rawLength: 0 };
  try {
    const m = mergedCursor(s, false);
    const seq = s.vs.lastSequence;
    let last: Uint8Array | undefined;
    for (m.seek(lo, Number.MAX_SAFE_INTEGER); m.valid() && n <= limit; m.next()) {
      const key = m.key();
      if (hi !== undefined && compareBytes(key, hi) >= 0) break;
      steps++;
      if (m.seq() > seq || (last !== undefined && equalBytes(key, last))) continue;
      last = key.slice(); // the newest visible version decides; older ones are skipped
      const kind = m.kind();
      if (kind === ValueKind.Put) n += key.length + m.value().length;
      else if (kind === ValueKind.BlobRef) {
        n += key.length + blobValueLength(readBlobRef(m.value(), "a table", ref));
      }
    }
  } finally {
    s.counters.scanSteps += steps;
    s.vs.unpin(v);
  }
  return n;
}
