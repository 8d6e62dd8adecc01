/**
 * Deletes expired keys (docs/coordination.md#key-expiry). Reads already hide
 * a key once it expires; this gives it back its space and tells watchers. On
 * the leader only, every `intervalMs`: read up to EXPIRE_KEYS_PER_COMMAND_MAX
 * keys due by the wall clock from the two expiry indexes (the revisioned
 * keyspace's and that of the Redis keys outside it) and propose one
 * expire_keys command for them, with at most one in flight. Apply checks each
 * key again against the command's own time, so a key extended since it was
 * read survives. A follower does nothing; a new leader starts from its index.
 */
import type { CommandInit } from "../../kv/command_codec.ts";
import type { DueKeys } from "../../kv/expiry_index.ts";
import { EXPIRE_KEYS_PER_COMMAND_MAX } from "../../limits.ts";
import type { Clock, TimerId } from "../../platform/types.ts";

export interface SweeperDeps {
  readonly clock: Clock;
  readonly isLeader: () => boolean;
  /** Up to `max` keys (of both lists together) whose expiry is at or before `nowMs` (Unix ms). */
  readonly dueKeys: (nowMs: number, max: number) => Promise<DueKeys>;
  readonly execute: (command: CommandInit) => Promise<unknown>;
  readonly log?: (line: string) => void;
}

export class ExpirySweeper {
  #timer: TimerId | undefined;
  #inFlight = false;
  #stopped = true;
  /** expire_keys commands this node proposed (for metrics and tests). */
  proposed = 0;

  constructor(readonly d: SweeperDeps, readonly intervalMs: number) {}

  start(): void {
    this.#stopped = false;
    const tick = () => {
      if (this.#stopped) return;
      void this.sweep();
      this.#timer = this.d.clock.setTimeout(tick, this.intervalMs);
    };
    this.#timer = this.d.clock.setTimeout(tick, this.intervalMs);
  }

  /** Lets `sweep` propose without a timer of its own (region_services.ts ticks it). */
  arm(): void {
    this.#stopped = false;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One sweep: proposes one bounded expire_keys when keys are due. Resolves when it is done. */
  async sweep(): Promise<void> {
    if (this.#inFlight || !this.d.isLeader()) return;
    this.#inFlight = true;
    try {
      const due = await this.d.dueKeys(this.d.clock.wallMs(), EXPIRE_KEYS_PER_COMMAND_MAX);
      const { keys, redisKeys } = due;
      if (keys.length + redisKeys.length === 0 || this.#stopped) return;
      this.proposed++;
      await this.d.execute({ body: { case: "expireKeys", value: { keys, redisKeys } } });
    } catch (err) {
      this.d.log?.(`tinykv: expiry sweep: ${String(err)}`);
    } finally {
      this.#inFlight = false;
    }
  }
}
