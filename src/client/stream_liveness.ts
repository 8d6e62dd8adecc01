/**
 * Whether a long-lived stream's node still serves it. A connection can go
 * silent without closing (a paused process, a partition): after `everyMs`
 * without a message, the stream's node is asked for its status on the same
 * connection. No answer within `everyMs`, or a node that knows no leader at two
 * checks in a row (it may be cut off from the cluster and fall behind), means the
 * stream should move to another node.
 */
import type { ClientResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../platform/types.ts";

export class StreamLiveness {
  #heard = false;
  #leaderless = 0;
  #timer: TimerId | undefined;
  #stopped = false;

  constructor(
    readonly clock: Clock,
    readonly everyMs: number,
    readonly ping: (timeoutMs: number) => Promise<ClientResponse>,
    /** `unreachable`: the node did not answer (its connection is no good either). */
    readonly onDead: (why: string, unreachable: boolean) => void,
  ) {
    this.#arm();
  }

  /** A message arrived on the stream. */
  heard(): void {
    this.#heard = true;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.clock.setTimeout(() => this.#check(), this.everyMs);
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    if (this.#heard) {
      this.#heard = false;
      return this.#arm();
    }
    this.ping(this.everyMs).then((r) => {
      if (this.#stopped) return;
      const leaderless = r.body.case === "status" && r.body.value.leaderId === 0n;
      this.#leaderless = leaderless ? this.#leaderless + 1 : 0;
      if (this.#leaderless >= 2) return this.onDead("the node knows no leader", false);
      this.#arm();
    }, (err: unknown) => {
      if (!this.#stopped) this.onDead(`the node did not answer: ${String(err)}`, true);
    });
  }
}
