/**
 * Reads refused while a split settles on this node (node_reads.ts `unsettled`: a split applied
 * here whose child is not hosted yet, or a region change under the read's barrier) are tried
 * again for a moment before the refusal reaches the client. The child is hosted within a driver
 * round or two, and a Redis client takes `-TRYAGAIN` as an error: the 100 MiB e2e's `GET` right
 * after a `SET` that split the region failed so. A read changes nothing, so running it again is
 * safe; it recomputes its regions each time.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { covers } from "./region_coverage.ts";

/** How long a read refused while a split settles is tried again (docs/limits.md). */
export const READ_SETTLE_WAIT_MS = 2_000;
/** How often it is tried meanwhile. */
const SETTLE_POLL_MS = 5;

/** A read refused while a split settles here: retryable, and retried by `retrySettling`. */
class SettlingError extends ServiceError {
  constructor() {
    super(ErrorCode.UNAVAILABLE, "a region split while the read waited; retry");
  }
}

export function settling(): ServiceError {
  return new SettlingError();
}

/** Runs `read` again while a split settling here refuses it, at most READ_SETTLE_WAIT_MS. */
export async function retrySettling<T>(clock: Clock, read: () => Promise<T>): Promise<T> {
  const deadline = clock.nowMs() + READ_SETTLE_WAIT_MS;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof SettlingError) || clock.nowMs() >= deadline) throw err;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, SETTLE_POLL_MS));
    }
  }
}

/**
 * The regions a read uses, pinned as it begins: the returned check throws the settling refusal
 * (so the read runs again) when one of them split or merged since (its range version moved) or
 * left this node. A read at a revision reads each region's part by the region's range as it
 * gets to it, so a split applied while it waited (a barrier, a close, a lock, the engine) moved
 * keys to a child the read never looked at: a scan through a node once missed a just-split
 * child's keys, and a read at a timestamp read a moved key in its old region, as absent.
 */
export function pinRegions(host: RegionHost, regions: readonly HostedRegion[]): () => void {
  const pinned = regions.map((r) => ({ r, version: r.kv.descriptor.epoch.version }));
  return () => {
    for (const { r, version } of pinned) {
      if (r.kv.descriptor.epoch.version !== version || host.region(r.id) !== r) throw settling();
    }
  };
}

const WHOLE = { start: new Uint8Array(0), end: new Uint8Array(0) };

/**
 * Some keys have no local region: a split applied here whose child is not served yet, or a
 * region this node has not created yet (it installed its parent's image past the split, or was
 * wiped: region_creation.ts creates it from its leader's message). Reads whose keys the node does
 * not know are refused then, rather than served from records no local region keeps up to date.
 */
export function unsettled(host: RegionHost, all = host.all()): boolean {
  return host.adding || !covers(all, WHOLE);
}

/**
 * Throws the settling refusal (the read runs again) when `host`'s regions changed since
 * `generation`, or one of the read's `regions` is no longer served here, checked in the turn of
 * the read, after its barrier and locks. A replica left out of its region's configuration while
 * the read waited (a placement move: no generation change, it only stops being served) or
 * dropped (its records cleared) no longer holds its keys' current values: a GET read such a
 * key, written long before, as absent (the simulator's regions seed 3047, session 29).
 */
export function unchanged(
  host: RegionHost,
  generation: number,
  regions: readonly HostedRegion[],
): void {
  if (host.generation !== generation || !regions.every(host.serves)) throw settling();
}
