/**
 * Paged scans over user keys: by prefix and/or half-open range, forward or
 * reverse, with an offset and a resumable cursor (the last key returned).
 */
import { SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX, SCAN_OFFSET_MAX } from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { SCAN_CHUNK_ENTRIES } from "../storage/scan.ts";
import { compareBytes, prefixEnd } from "../util/bytes.ts";
import { dataKey, Namespace } from "./keyspace.ts";
import { decodeCurrent } from "./key_record.ts";
import { isExpired, type KeyRange, type KeyState } from "./key_state.ts";

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
  /** Read as of this store revision (0 or absent: the current state). */
  readonly revision?: number;
  /**
   * Served from this node's regions only, never stitched with parts read elsewhere: a routed
   * request (docs/regions.md "Forwarding by a node without a replica": one hop at most).
   */
  readonly hereOnly?: boolean;
}

export type KvScanItem = KeyState;

export interface KvScanPage {
  readonly items: KvScanItem[];
  /** The store revision the page was read at (set by the state machine). */
  readonly revision?: number;
  readonly nextCursor: Uint8Array | undefined;
}

const maxOf = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) >= 0 ? a : b;
const minOf = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) <= 0 ? a : b;

/** Why the request is out of bounds, or undefined. */
export function validateScan(r: KvScanRequest): string | undefined {
  if ((r.limit ?? 0) > SCAN_LIMIT_MAX) return `scan limit is at most ${SCAN_LIMIT_MAX}`;
  if ((r.offset ?? 0) > SCAN_OFFSET_MAX) return `scan offset is at most ${SCAN_OFFSET_MAX}`;
  if ((r.revision ?? 0) > 0 && (r.reverse || (r.offset ?? 0) > 0)) {
    return "a scan at a revision pages forward with the cursor: no reverse, no offset";
  }
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

/** A page of current keys; keys expired by `now` (Unix ms) are skipped and not counted. */
export async function scanPage(db: Db, r: KvScanRequest, now = 0): Promise<KvScanPage> {
  const limit = Math.min(r.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
  const offset = Math.min(r.offset ?? 0, SCAN_OFFSET_MAX);
  const { lower, upper } = engineRange(r);
  const items: KvScanItem[] = [];
  if (compareBytes(lower, upper) >= 0) return { items, nextCursor: undefined };
  let skipped = 0;
  let more = false;
  // In chunks (one awaited step per chunk, not per key), sized to what the page needs
  // so a small page does not read far ahead; expired keys make later chunks follow.
  const chunk = Math.min(SCAN_CHUNK_ENTRIES, limit + offset + 1);
  const chunks = db.scanChunks({ start: lower, end: upper, reverse: r.reverse ?? false }, chunk);
  pages: for await (const entries of chunks) {
    for (const [key, raw] of entries) {
      const item = decodeCurrent(key.subarray(1), raw);
      if (isExpired(item, now)) continue;
      if (skipped < offset) {
        skipped++;
        continue;
      }
      if (items.length === limit) {
        more = true;
        break pages;
      }
      items.push(item);
    }
  }
  const last = items[items.length - 1];
  return { items, nextCursor: more && last !== undefined ? last.key : undefined };
}

/**
 * The user-key range a scan covers (prefix and bounds intersected), as a
 * KeyRange, and where a cursor resumes; for reads at a revision.
 */
export function scanRange(r: KvScanRequest): { range: KeyRange; after?: Uint8Array } {
  const { lower, upper } = engineRange({ ...r, cursor: undefined });
  const key = lower.subarray(1);
  const open = upper.length === 1 && upper[0] === Namespace.Data + 1;
  const rangeEnd = open ? new Uint8Array([0]) : upper.subarray(1);
  const after = r.cursor !== undefined && r.cursor.length > 0 ? r.cursor : undefined;
  // An empty range (end at or before start) stays empty: a zero-length window at `key`.
  const empty = !open && compareBytes(rangeEnd, key) <= 0;
  return {
    range: { key, rangeEnd: empty ? successorOf(key) : rangeEnd },
    after: empty ? key : after,
  };
}

function successorOf(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}
