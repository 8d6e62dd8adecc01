/**
 * A current scan over several regions read at one timestamp (docs/regions.md "Reads over several
 * regions", decision 0018 "Current reads over several regions"). Each region's current state is
 * one region's snapshot, but two regions' states read one after the other are not one snapshot:
 * a region whose replica here lags shows an old value beside another region's newer one, so a
 * scan could see a later write (b, in region Y) and miss an earlier one (a, in region X, written
 * before b). So a current scan whose range spans two regions or more takes a timestamp T from the
 * oracle once the request is here — above the timestamp of every write acknowledged before, so
 * the read is linearizable — and reads every region's part at T, as a scan at revision T does
 * (reads_at_timestamp.ts: each region closed at T, the locks of transactions that started at or
 * below T finished, each part read from its region's history; a part held by another node is sent
 * there at revision T). The answer's revision is T.
 *
 * A scan within one region keeps the current read (already one snapshot, and cheaper: no
 * timestamp, no barrier). So do a serializable scan (it promises neither recency nor, across
 * regions, one snapshot: it closes no region it does not lead) and a reverse scan (a read at a
 * revision pages forward only; docs/limits.md). T is current, so never below the compaction
 * point when it is taken; a compaction past it while the scan waits (a client's `compact` above
 * T, or the count rule of a region that wrote that much meanwhile) is met by taking a new T, at
 * most SNAPSHOT_SCAN_ATTEMPTS_MAX times, then UNAVAILABLE (retryable).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KvScanPage, KvScanRequest } from "../../kv/kv_scan.ts";
import { SNAPSHOT_SCAN_ATTEMPTS_MAX } from "../../limits_ops.ts";
import { compareEnd } from "../../region/descriptor.ts";
import type { KeySpan } from "../../region/region_catalog.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type Consistency, ServiceError } from "../kv_service.ts";
import type { HostedRegion } from "./region_host.ts";
import type { RemoteRegions } from "./remote_regions.ts";

/** Whether a current scan at `consistency` is read at one timestamp when it spans regions. */
export function wantsOneTimestamp(request: KvScanRequest, consistency: Consistency): boolean {
  return (request.revision ?? 0) === 0 && consistency !== "serializable" && !request.reverse;
}

/** The local regions whose ranges meet `span`. */
function meeting(regions: readonly HostedRegion[], span: KeySpan): number {
  let n = 0;
  for (const r of regions) {
    const d = r.kv.descriptor;
    const before = d.end.length > 0 && compareBytes(d.end, span.start) <= 0;
    const after = span.end.length > 0 && compareBytes(d.start, span.end) >= 0;
    if (!before && !after) n++;
  }
  return n;
}

/**
 * Whether `span` spans two regions or more: two local regions meet it, or one meets it and does
 * not cover it (the rest is another region's), or none does and the region placement reports at
 * its start ends inside it. Stale reports only make a one-region scan take the timestamp path:
 * slower, never less consistent.
 */
export async function spansRegions(
  regions: readonly HostedRegion[],
  covered: boolean,
  remote: RemoteRegions | undefined,
  span: KeySpan,
): Promise<boolean> {
  const local = meeting(regions, span);
  if (local >= 2 || (local === 1 && !covered)) return true;
  if (local === 1 || remote === undefined) return false;
  const region = await remote.locate(span.start);
  return region === undefined || compareEnd(span.end, region.end) > 0;
}

/**
 * `request` (current) read at one fresh timestamp: `readAt` is the node's scan at a revision
 * (local parts closed and read at it, remote parts sent at it).
 */
export async function scanAtOneTimestamp(
  request: KvScanRequest,
  timestamp: () => Promise<number>,
  readAt: (request: KvScanRequest) => Promise<KvScanPage>,
): Promise<KvScanPage> {
  for (let attempt = 1;; attempt++) {
    const at = await timestamp();
    try {
      return await readAt({ ...request, revision: at });
    } catch (err) {
      if (!(err instanceof ServiceError) || err.code !== ErrorCode.COMPACTED) throw err;
      if (attempt >= SNAPSHOT_SCAN_ATTEMPTS_MAX) {
        throw new ServiceError(
          ErrorCode.UNAVAILABLE,
          `a scan across regions was compacted past its timestamp ${attempt} times; retry`,
        );
      }
    }
  }
}
