/**
 * A scan on a node whose local regions leave part of its range to other nodes (docs/regions.md
 * "Reads on a node holding some regions"): the range is cut into parts, each held whole by one
 * source — a run of the node's own regions, or one region held elsewhere (scan_parts.ts) — read
 * in key order (reverse order for a reverse scan) and stitched. Each part is read as its source
 * reads it: a local part like any local scan, a remote part by its region's leader (or a replica)
 * as a routed scan with the client's consistency, so a linearizable scan reads each region
 * linearizably — the promise of a scan over several regions on any node, and of the client's
 * stitched scan (routed_scan.ts). A current scan's parts are each their region's current state,
 * and the answer's revision is the first part's; a scan at a revision reads every part at it.
 *
 * `offset` is applied over the stitched keys (the parts are read for offset + limit keys);
 * `limit` bounds the page, and `nextCursor` (its last key) resumes after it, wherever in a part
 * the page ended. A part refused because its route changed (its region split or moved since the
 * plan) is planned again, at most NODE_ROUTE_ATTEMPTS_MAX times a page; then, and whenever the
 * scan cannot finish its range within its bound of steps, it fails with UNAVAILABLE (retryable:
 * nothing was written) rather than answer with a gap.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KvScanPage, KvScanRequest } from "../../kv/kv_scan.ts";
import { SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX, SCAN_OFFSET_MAX } from "../../limits.ts";
import { NODE_ROUTE_ATTEMPTS_MAX, NODE_ROUTES_CACHED_MAX } from "../../limits_ops.ts";
import { compareEnd } from "../../region/descriptor.ts";
import { type KeySpan, keySpan, scanSpanOf } from "../../region/region_catalog.ts";
import { compareBytes } from "../../util/bytes.ts";
import { ServiceError } from "../kv_service.ts";

/** A part of a scan's range that one source holds whole. */
export interface ScanPart {
  readonly span: KeySpan;
  /** Held by this node's regions (else by one region elsewhere). */
  readonly local: boolean;
}

export interface ScanParts {
  /**
   * Parts of `span` in key order without a gap, the first starting at its start (forward) or the
   * last ending at its end (`reverse`); or throws UNAVAILABLE.
   */
  plan(span: KeySpan, reverse: boolean): Promise<ScanPart[]>;
  /** One page of `request` (whose start and end are within the part) from the part's source. */
  read(part: ScanPart, request: KvScanRequest): Promise<KvScanPage>;
}

/** Refusals that mean the plan is out of date: the part is planned again. */
const CHANGED = new Set([
  ErrorCode.EPOCH_NOT_MATCH,
  ErrorCode.KEY_NOT_IN_REGION,
  ErrorCode.REGION_NOT_FOUND,
]);

const EMPTY = new Uint8Array(0);

/** The keys a scan reads: its prefix and bounds, after its cursor. */
export function scanSpan(r: KvScanRequest): KeySpan {
  const span = scanSpanOf(r.prefix ?? EMPTY, r.start ?? EMPTY, r.end ?? EMPTY);
  const cursor = r.cursor ?? EMPTY;
  if (cursor.length === 0) return span;
  if (r.reverse) {
    return { start: span.start, end: compareEnd(span.end, cursor) > 0 ? cursor : span.end };
  }
  const after = keySpan(cursor).end; // the least key after the cursor
  return { start: compareBytes(after, span.start) > 0 ? after : span.start, end: span.end };
}

function isEmpty(span: KeySpan): boolean {
  return compareEnd(span.end, span.start) <= 0;
}

/** True when the part reaches the end of the span in the scan's direction. */
function endsSpan(part: KeySpan, span: KeySpan, reverse: boolean): boolean {
  if (reverse) return compareBytes(part.start, span.start) <= 0;
  return part.end.length === 0 || compareEnd(span.end, part.end) <= 0;
}

function unavailable(why: string): ServiceError {
  return new ServiceError(ErrorCode.UNAVAILABLE, `a scan across regions ${why}; retry`);
}

export async function stitchedScan(parts: ScanParts, request: KvScanRequest): Promise<KvScanPage> {
  const reverse = request.reverse ?? false;
  const limit = Math.min(request.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
  const offset = Math.min(request.offset ?? 0, SCAN_OFFSET_MAX);
  const want = offset + limit;
  const revision = request.revision ?? 0;
  let span = scanSpan(request);
  let seen = revision;
  const items: KvScanPage["items"] = [];
  let changed = 0;
  let more = false;
  // Each step reads at least one key, finishes a part, or follows a changed route.
  const steps = want + NODE_ROUTES_CACHED_MAX + NODE_ROUTE_ATTEMPTS_MAX;
  for (let step = 0; !isEmpty(span); step++) {
    if (step >= steps) throw unavailable(`did not finish in ${steps} steps`);
    const plan = await parts.plan(span, reverse);
    const part = reverse ? plan[plan.length - 1] : plan[0];
    if (part === undefined) throw unavailable("found no region for part of its range");
    let page: KvScanPage;
    try {
      const value = { start: part.span.start, end: part.span.end, reverse, revision };
      page = await parts.read(part, {
        ...value,
        limit: Math.min(SCAN_LIMIT_MAX, want - items.length),
      });
    } catch (err) {
      if (!(err instanceof ServiceError) || !CHANGED.has(err.code)) throw err;
      if (++changed >= NODE_ROUTE_ATTEMPTS_MAX) {
        throw unavailable(`met a route that kept changing (${err.message})`);
      }
      continue;
    }
    if (seen === 0) seen = page.revision ?? 0;
    items.push(...page.items);
    const last = page.items[page.items.length - 1];
    if (items.length >= want) {
      more = page.nextCursor !== undefined || !endsSpan(part.span, span, reverse);
      break;
    }
    if (page.nextCursor !== undefined) {
      if (last === undefined) throw unavailable("read a page with a cursor and no keys");
      span = reverse
        ? { start: span.start, end: last.key }
        : { start: keySpan(last.key).end, end: span.end };
      continue;
    }
    if (endsSpan(part.span, span, reverse)) break;
    span = reverse
      ? { start: span.start, end: part.span.start }
      : { start: part.span.end, end: span.end };
  }
  const answer = items.slice(offset, want);
  const lastKey = answer[answer.length - 1]?.key;
  return { items: answer, nextCursor: more ? lastKey : undefined, revision: seen };
}
