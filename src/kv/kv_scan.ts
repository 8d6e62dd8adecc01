/**
 * Paged scans over user keys: by prefix and/or half-open range, forward or
 * reverse, with an offset and a resumable cursor (the last key returned).
 */
import { SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX, SCAN_OFFSET_MAX } from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { compareBytes, prefixEnd } from "../util/bytes.ts";
import { dataKey, decodeStored, Namespace } from "./keyspace.ts";

export interface KvScanRequest {
  readonly prefix?: Uint8Array;
  /** Inclusive lower bound. */
  readonly start?: Uint8Array;
  /** Exclusive upper bound. */
  readonly end?: Uint8Array;
  readonly limit?: number;
  readonly offset?: number;
  /** A `nextCursor` from the previous page. */
  readonly cursor?: Uint8Array;
  readonly reverse?: boolean;
  /** Read as of this store revision (0 or absent: the current one). */
  readonly revision?: number;
}

export interface KvScanItem {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly version: number;
}

export interface KvScanPage {
  readonly items: KvScanItem[];
  readonly nextCursor: Uint8Array | undefined;
  /** The store revision the scan saw (absent: not known). */
  readonly revision?: number;
}

const maxOf = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) >= 0 ? a : b;
const minOf = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) <= 0 ? a : b;

/** Why the request is out of bounds, or undefined. */
export function validateScan(r: KvScanRequest): string | undefined {
  if ((r.limit ?? 0) > SCAN_LIMIT_MAX) return `scan limit is at most ${SCAN_LIMIT_MAX}`;
  if ((r.offset ?? 0) > SCAN_OFFSET_MAX) return `scan offset is at most ${SCAN_OFFSET_MAX}`;
  return undefined;
}

/** The engine key range [lower, upper) the request covers, before the cursor. */
function engineRange(r: KvScanRequest): { lower: Uint8Array; upper: Uint8Array } {
  let lower = dataKey(r.prefix ?? new Uint8Array(0));
  let upper = prefixEnd(lower) ?? new Uint8Array([Namespace.Data + 1]);
  if (r.start !== undefined && r.start.length > 0) lower = maxOf(lower, dataKey(r.start));
  if (r.end !== undefined && r.end.length > 0) upper = minOf(upper, dataKey(r.end));
  if (r.cursor !== undefined && r.cursor.length > 0) {
    const c = dataKey(r.cursor);
    if (r.reverse) upper = minOf(upper, c);
    else {
      const after = new Uint8Array(c.length + 1); // the least key greater than the cursor
      after.set(c);
      lower = maxOf(lower, after);
    }
  }
  return { lower, upper };
}

export async function scanPage(db: Db, r: KvScanRequest): Promise<KvScanPage> {
  const limit = Math.min(r.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
  const offset = Math.min(r.offset ?? 0, SCAN_OFFSET_MAX);
  const { lower, upper } = engineRange(r);
  const items: KvScanItem[] = [];
  if (compareBytes(lower, upper) >= 0) return { items, nextCursor: undefined };
  let skipped = 0;
  let more = false;
  const iterate = db.scan({ start: lower, end: upper, reverse: r.reverse ?? false });
  for await (const [key, raw] of iterate) {
    if (skipped < offset) {
      skipped++;
      continue;
    }
    if (items.length === limit) {
      more = true;
      break;
    }
    const { value, version } = decodeStored(raw);
    items.push({ key: key.subarray(1), value, version });
  }
  const last = items[items.length - 1];
  return { items, nextCursor: more && last !== undefined ? last.key : undefined };
}
