/**
 * Writes refused while a split settles on this node are tried again for a moment, as reads are
 * (read_settle.ts), before the refusal reaches the client. In the first moments after a split the
 * child may not be hosted here yet (its keys have no route: "no route to the region …"), may have
 * no leader yet (it campaigns at once: "no leader is known"), or a write in flight may have met the
 * narrowed range (a stale route, routed again up to REGION_REROUTES_MAX times). Each is retryable,
 * and a Redis client takes `-TRYAGAIN`/`-CLUSTERDOWN` as an error: RESP `SET`s pipelined through
 * a split saw up to 120 of them in a test run (tests/server/stamping_node_test.ts).
 *
 * Only refusals that prove nothing was applied are tried again — a stale route refused at apply,
 * a write not proposed for want of a leader, a route not found after the node's attempts — and
 * only within WRITE_SETTLE_WAIT_MS of a change of this node's regions: otherwise the refusal is
 * the client's to see at once, as before.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { REGION_REROUTES_MAX } from "../../limits_ops.ts";
import type { Clock } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";
import { RegionChangedError } from "./proposals.ts";
import type { RegionHost } from "./region_host.ts";

/** How long after a change of the node's regions a refused write is tried again (limits.md). */
export const WRITE_SETTLE_WAIT_MS = 2_000;
/** How often it is tried meanwhile. */
const SETTLE_POLL_MS = 5;

/** A refusal that proves the write was not applied, and that a split settling explains. */
function notApplied(err: unknown): boolean {
  if (err instanceof RegionChangedError) return true;
  if (!(err instanceof ServiceError)) return false;
  if (err.code === ErrorCode.NOT_LEADER) return err.leaderId === 0 && err.leaderAddress === "";
  return err.code === ErrorCode.UNAVAILABLE && err.message.startsWith("no route to the region");
}

/** When this node's regions last changed (a split, a merge, a replica added or removed). */
export class RegionChanges {
  #seen = -1;
  #atMs = Number.NEGATIVE_INFINITY;

  constructor(readonly host: RegionHost, readonly clock: Clock) {}

  /** Looks at the host's generation (at every write: a change is seen within one write). */
  observe(): void {
    if (this.host.generation === this.#seen) return;
    this.#seen = this.host.generation;
    this.#atMs = this.clock.nowMs();
  }

  /** The regions changed within WRITE_SETTLE_WAIT_MS, or a region is being added now. */
  recent(): boolean {
    this.observe();
    return this.host.adding || this.clock.nowMs() - this.#atMs < WRITE_SETTLE_WAIT_MS;
  }
}

/**
 * Runs `write` again while it is refused unapplied: at once after a stale route (up to
 * REGION_REROUTES_MAX times), every SETTLE_POLL_MS while the node's regions changed recently.
 */
export async function runSettled<T>(changes: RegionChanges, write: () => Promise<T>): Promise<T> {
  changes.observe();
  const clock = changes.clock;
  const deadline = clock.nowMs() + WRITE_SETTLE_WAIT_MS;
  for (let attempt = 1;; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (err instanceof RegionChangedError && attempt < REGION_REROUTES_MAX) continue;
      if (!notApplied(err) || !changes.recent() || clock.nowMs() >= deadline) throw err;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, SETTLE_POLL_MS));
    }
  }
}
