/**
 * Requests waiting for a placement leader to become known (decision 0018 "The TSO unavailable":
 * a request waits up to `requestTimeoutMs` for the oracle rather than failing at once). On a
 * placement member that knows no leader (region 0 electing: a fresh cluster's first moments, or
 * a leader lost), a request would otherwise go to the other voters, which know none either, and
 * fail within a few ms: every write of a splitting cluster then got UNAVAILABLE until region 0
 * elected. Waiting is event-driven: `known()` runs when region 0's soft state changes, so no
 * request polls. A non-member does not wait: it asks the voters, which do.
 *
 * The waiters are the requests in flight on this node: one timestamps batch at a time
 * (proposal_timestamps.ts), split checks' id requests, and requests forwarded from the port,
 * which its connection limit bounds; each leaves by its timer at the latest.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";
import type { PlacementRequestBody } from "./placement_rpc.ts";

/**
 * The requests that wait: those a write, a read or a split waits on. A heartbeat does not (the
 * next interval sends another; the sender has one in flight), nor do the admin requests `drain`
 * and `status` (a CLI command answers at once, NOT_LEADER with a hint it follows, or an error).
 */
export const WAITS_FOR_LEADER: ReadonlySet<PlacementRequestBody["kind"]> = new Set([
  "timestamps",
  "allocate-ids",
  "route",
]);

export class LeaderWait {
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(readonly clock: Clock) {}

  /** Requests waiting now (tests, metrics). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves once `isKnown()` (a leader is known), looked at on each `known()` (region 0's soft
   * state changing: a pre-candidate, a candidate, a leader), so none polls; UNAVAILABLE after
   * `timeoutMs` without one.
   */
  async forLeader(isKnown: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = this.clock.nowMs() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new ServiceError(ErrorCode.UNAVAILABLE, "node shutting down");
      if (isKnown()) return;
      const left = deadline - this.clock.nowMs();
      if (left <= 0) {
        throw new ServiceError(
          ErrorCode.UNAVAILABLE,
          `no placement leader elected within ${timeoutMs} ms (region 0 has no quorum?)`,
        );
      }
      await this.#wait(left);
    }
  }

  /** Resolves when `known()` is called or after `timeoutMs`, whichever is first. */
  #wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerId | undefined = undefined;
      const done = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      timer = this.clock.setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** A leader may be known now: every waiter looks again. */
  known(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** The node is stopping: every waiter fails now, not at its timer. */
  close(): void {
    this.#closed = true;
    this.known();
  }
}
