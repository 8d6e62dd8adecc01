/**
 * Closing a region at revision T on its leader without a log entry, for reads and watches
 * (docs/decisions/0023-closes-without-entries.md). A close makes T final in the region: no entry
 * applied later may carry a revision at or below T. A timestamp barrier does it by moving the
 * region's revision past T through the log (a Raft round with an fsync on a quorum); here the
 * leader shows instead that every entry which could is already in its log, and applies them:
 *
 * 1. every timestamp at or below T this node will ever use has been handed out and proposed:
 *    `ProposalTimestamps.highest` ≥ T (a fresh timestamp is taken first when it is not);
 * 2. `last`, its log's last index then, covers them, and every entry of earlier terms it holds;
 * 3. a ReadIndex round issued once the close was asked (after T was handed out), in parallel
 *    with step 1, confirms it led in that term after then, and it still does at the end: a later
 *    leader takes its timestamps after it won, so above T, and entries of earlier terms missing
 *    here can no longer commit (the round needs an entry of this term committed);
 * 4. once this replica has applied `last`, it holds every change at or below T. Transactions'
 *    commits land at their commit timestamps, not the entry's: reads wait for their locks, as
 *    with a barrier.
 *
 * The replica records T as `closedRevision` (memory only): its reads at T are served from its
 * history although its own revision is lower. A T above every timestamp handed out (a revision
 * no one was given) goes to the barrier, whose own timestamp decides FUTURE_REVISION, as before.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../kv_service.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { ProposalTimestamps } from "./proposal_timestamps.ts";

function leadershipChanged(r: HostedRegion): ServiceError {
  return new ServiceError(
    ErrorCode.UNAVAILABLE,
    `region ${r.id}: leadership changed while closing it for a read; retry`,
  );
}

/** Records that region `r`'s replica here holds every change at or below `at`. */
export function markClosed(r: HostedRegion, at: number): void {
  const kv = r.kv.kv;
  if (at > kv.closedRevision) kv.closedRevision = at;
}

/** The revision reads at which are final in `r` here: its own, or one it was closed at. */
export function finalRevision(r: HostedRegion): number {
  return Math.max(r.kv.kv.revision, r.kv.kv.closedRevision);
}

/** Closes region `r`, which this node leads, at `at` (steps above); `barrier`: the fallback. */
export async function closeWithoutEntry(
  r: HostedRegion,
  at: number,
  stamps: ProposalTimestamps,
  barrier: () => Promise<unknown>,
): Promise<void> {
  const raw = r.group.rawNode;
  if (!raw.isLeader) throw leadershipChanged(r);
  const term = raw.term;
  const confirmed = r.reads.wait();
  // Observed below, or not at all when the close ends first: never an unhandled rejection (a
  // leader change fails the round while the timestamp is awaited).
  confirmed.catch(() => {});
  if (stamps.highest < at) await stamps.next();
  if (stamps.highest < at) {
    await barrier();
    return;
  }
  const last = raw.lastIndex;
  await confirmed;
  if (!raw.isLeader || raw.term !== term) throw leadershipChanged(r);
  await r.reads.appliedThrough(last);
  markClosed(r, at);
}
