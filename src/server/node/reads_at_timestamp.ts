/**
 * Reads at one revision over several regions, once revisions are timestamps
 * (docs/decisions/0018-revisions-from-tso.md).
 *
 * A read at revision T in a region is final once the region's applied revision is T or more:
 * a region's revisions grow along its log, so every entry still to apply gets a larger one. A
 * region whose revision is below T (it wrote nothing since) is first *closed*. For reads its
 * leader shows that every entry which could carry a revision at or below T is applied
 * (close_without_entry.ts: no log entry); where the revision itself must move (`compact`) it
 * proposes a timestamp barrier, an entry with a timestamp taken like any write's and no command,
 * whose revision (its timestamp, or above) moves the region's revision without changing a key.
 * Either way a T above every timestamp the oracle gave is a future revision (FUTURE_REVISION).
 * A node that does not lead the region asks its leader to read at T (which closes it there),
 * then waits for its own replica to apply that far (region_router.ts `closeAt`).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { type KvScanPage, type KvScanRequest } from "../../kv/kv_scan.ts";
import { SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX, SCAN_OFFSET_MAX } from "../../limits.ts";
import { compareBytes } from "../../util/bytes.ts";
import { ServiceError } from "../kv_service.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { HostedRegion } from "./hosted_region.ts";
import { revisionRead } from "./revision_reads.ts";
import { finalRevision } from "./close_without_entry.ts";

/** Makes `revision` final in each region: closes those below it (in parallel). */
export async function closeAt(
  regions: readonly HostedRegion[],
  revision: number,
  close: (r: HostedRegion, revision: number) => Promise<unknown>,
): Promise<void> {
  const open = regions.filter((r) => finalRevision(r) < revision);
  if (open.length === 0) return;
  await Promise.all(open.map((r) => close(r, revision)));
  for (const r of open) {
    const at = finalRevision(r);
    if (at >= revision) continue;
    throw new ServiceError(
      ErrorCode.FUTURE_REVISION,
      `revision ${revision} is in the future (region ${r.id} is at ${at} after its close)`,
    );
  }
}

const later = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) >= 0 ? a : b;

/** The part of `request` inside region `r`'s range, or undefined when they do not meet. */
function clip(request: KvScanRequest, r: HostedRegion): KvScanRequest | undefined {
  const d = r.kv.descriptor;
  const start = later(request.start ?? new Uint8Array(0), d.start);
  const ends = [request.end, d.end].filter((e): e is Uint8Array => e !== undefined && e.length > 0);
  const end = ends.reduce<Uint8Array | undefined>(
    (m, e) => m === undefined || compareBytes(e, m) < 0 ? e : m,
    undefined,
  );
  if (end !== undefined && compareBytes(start, end) >= 0) return undefined;
  return { ...request, start, end: end ?? new Uint8Array(0) };
}

/**
 * One page of a scan at `revision` over `regions` (in key order, each closed at it): each
 * region's part is read from its own history, and the parts are stitched in key order. The
 * first `offset` keys are skipped (a current scan over several regions read at one timestamp may
 * ask for one: snapshot_scan.ts); each read asks for what the page still needs, so a region's
 * part is read in pages of at most SCAN_LIMIT_MAX, each one (expired keys aside) adding a key.
 */
export async function scanAt(
  engine: EngineHolder,
  regions: readonly HostedRegion[],
  request: KvScanRequest,
  revision: number,
): Promise<KvScanPage> {
  const limit = Math.min(request.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
  let skip = Math.min(request.offset ?? 0, SCAN_OFFSET_MAX);
  const items: KvScanPage["items"] = [];
  const need = () => Math.min(SCAN_LIMIT_MAX, skip + limit - items.length);
  for (let i = 0; i < regions.length; i++) {
    const kv = regions[i].kv.kv;
    let part = clip(request, regions[i]);
    while (part !== undefined) {
      const ask: KvScanRequest = { ...part, offset: 0, limit: need(), revision };
      const page = await revisionRead(engine, () => kv.scan(ask));
      const skipped = Math.min(skip, page.items.length);
      skip -= skipped;
      items.push(...page.items.slice(skipped));
      const more = page.nextCursor !== undefined;
      if (items.length >= limit && (more || i < regions.length - 1)) {
        return { items, nextCursor: items[items.length - 1]?.key, revision };
      }
      part = more ? { ...part, cursor: page.nextCursor } : undefined;
    }
  }
  return { items, nextCursor: undefined, revision };
}
