/**
 * The background lock resolver of a node (docs/transactions.md#recovery): every
 * `TXN_RESOLVE_INTERVAL_MS` it sweeps each region this node leads for locks whose TTL has passed
 * and finishes each the way its primary went (`sweepRegion`: committed → rolled forward; rolled
 * back, or expired → rolled back), at most `TXN_RESOLVE_LOCKS_PER_PASS` per region a pass. So a
 * transaction whose coordinator died between prewrite and commit leaves no lasting lock even if
 * no reader meets it. One pass at a time; a pass that fails (no leader, no oracle) is retried at
 * the next tick.
 */
import { TXN_RESOLVE_INTERVAL_MS, TXN_RESOLVE_LOCKS_PER_PASS } from "../../limits_ops.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { sweepRegion, type TxnEnv } from "../../txn/lock_resolver.ts";
import { errorMessage } from "../../util/errors.ts";
import type { HostedRegion } from "./hosted_region.ts";

export interface TxnResolverDeps {
  readonly regions: () => readonly HostedRegion[];
  /**
   * Whether the region holds at least one lock in this node's engine: a pass asks its leader (a
   * ReadIndex round) only for regions that do, so idle regions cost an engine seek, not a Raft
   * round.
   */
  readonly hasLocks: (r: HostedRegion) => boolean;
  /** A fresh environment per pass (its route cache starts from the node's current regions). */
  readonly env: () => TxnEnv;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number;
}

export class TxnResolver {
  #timer: TimerId | undefined;
  #running = false;
  /** Locks finished since the node started (for tests and metrics). */
  finished = 0;

  constructor(readonly d: TxnResolverDeps) {}

  /** Started and not stopped: on a node whose regions split (node_regions.ts). */
  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (!this.#running) return;
    const ms = this.d.intervalMs ?? TXN_RESOLVE_INTERVAL_MS;
    this.#timer = this.d.clock.setTimeout(() => {
      this.pass().finally(() => this.#schedule());
    }, ms);
  }

  /** One sweep of every region this node leads; returns how many locks it finished. */
  async pass(): Promise<number> {
    const led = this.d.regions().filter((r) => r.group.rawNode.isLeader && this.d.hasLocks(r));
    if (led.length === 0) return 0;
    const env = this.d.env();
    let done = 0;
    for (const r of led) {
      if (!this.#running) break;
      try {
        done += await sweepRegion(env, r.id, TXN_RESOLVE_LOCKS_PER_PASS);
      } catch (err) {
        this.d.logger.warn("txn.resolve_failed", { region: r.id, error: errorMessage(err) });
      }
    }
    this.finished += done;
    return done;
  }
}
