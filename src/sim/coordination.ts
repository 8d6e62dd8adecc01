/**
 * The coordination clients of a seed: watchers (watchers.ts) and lease
 * holders (lease_holders.ts). They start with the workload, keep running
 * through the heal phase (watches keep following, held leases stay kept
 * alive), and end during the final checks (coord_final.ts): first the
 * watches, once they have delivered everything, then the keep-alives, once
 * the history has been read.
 */
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { simClient } from "./sim_client.ts";
import type { Prng } from "../util/prng.ts";
import type { LeaseRecord } from "./lease_check.ts";
import { LeaseHolder } from "./lease_holders.ts";
import { Watchers } from "./watchers.ts";
import type { WorkloadEnv, WorkloadOptions } from "./workload.ts";
import type { WorkloadKeys } from "./workload_keys.ts";

export class Coordination {
  readonly watchers: Watchers;
  readonly holders: LeaseHolder[] = [];
  readonly #clients: TinyKvClient[] = [];
  #holderLoops: Promise<void>[] = [];
  #running = false;
  #closed = false;

  constructor(
    readonly env: WorkloadEnv,
    readonly o: WorkloadOptions,
    readonly keys: WorkloadKeys,
    freshValue: () => string,
  ) {
    this.watchers = new Watchers({
      clock: env.clock,
      prng: env.prng.fork(),
      netOf: env.netOf,
      kvEndpoints: env.kvEndpoints,
      keys,
      deadlineMs: o.deadlineMs,
      note: (e) => env.history.trace.record(env.clock.nowMs(), e),
    }, o.watchers);
    for (let i = 1; i <= o.leaseHolders; i++) {
      const prng = env.prng.fork();
      const name = `h${i}`;
      const api = this.#client(name, prng);
      this.holders.push(
        new LeaseHolder(name, api, prng, {
          history: env.history,
          now: () => env.clock.nowMs(),
          sleep: (ms) => new Promise((r) => env.clock.setTimeout(r, ms)),
          freshValue,
          running: () => this.#running,
          closed: () => this.#closed,
        }),
      );
    }
  }

  #client(name: string, prng: Prng): TinyKvClient {
    const api = simClient(this.env, name, prng, this.o.deadlineMs);
    this.#clients.push(api);
    return api;
  }

  start(): void {
    this.#running = true;
    this.watchers.start();
    this.#holderLoops = this.holders.map((h) => h.run());
  }

  /** The workload stopped: no new leases; held ones stay kept alive, watches keep going. */
  stopWorkload(): void {
    this.#running = false;
  }

  /** Leases their holders let go (they must expire or have been revoked). */
  get released(): Set<number> {
    return new Set(this.holders.flatMap((h) => [...h.released]));
  }

  get leases(): LeaseRecord[] {
    return this.holders.flatMap((h) => h.records);
  }

  /**
   * Ends the keep-alives (after the history was read; each lease held to the
   * end gets a last keep-alive first) and closes the clients.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#holderLoops);
    for (const c of this.#clients) c.close();
  }
}
