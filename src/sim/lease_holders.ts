/**
 * Lease holders of the simulation: each grants a lease (1–4 s), attaches 1–3
 * keys `l/<holder>/<n>` to it with puts, keeps it alive with keep-alives
 * every third of its TTL (keepAliveOnce, so each acknowledged keep-alive's
 * call time is known exactly), reads its keys, and after a while revokes it,
 * stops keeping it alive (it must then expire), or keeps it to the end.
 * What each saw goes to lease_check.ts; its puts and reads go to the
 * revision checker like every other operation.
 */
import { TinyKvError } from "../client/errors.ts";
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { errorMessage } from "../util/errors.ts";
import { fromUtf8 } from "../util/bytes.ts";
import type { Prng } from "../util/prng.ts";
import type { History, Outcome } from "./history.ts";
import type { LeaseRecord } from "./lease_check.ts";
import { prefixRange } from "./rev_model.ts";

export const LEASE_PREFIX = "l/";

export interface HolderEnv {
  readonly history: History;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly freshValue: () => string;
  /** Whether the workload still runs (holders then start new leases). */
  readonly running: () => boolean;
  /** Whether the checks are done with the leases (keep-alives stop). */
  readonly closed: () => boolean;
}

type Mutable = { -readonly [K in keyof LeaseRecord]: LeaseRecord[K] } & {
  renewedAt: number[];
  keys: string[];
};

const isNotFound = (err: unknown) => err instanceof TinyKvError && err.code === "LEASE_NOT_FOUND";

function outcomeOf(err: unknown): Outcome {
  return err instanceof TinyKvError && !err.outcomeUnknown ? "fail" : "unknown";
}

export class LeaseHolder {
  readonly records: LeaseRecord[] = [];
  /** Leases let go whose expiry the checks wait for. */
  readonly released = new Set<number>();
  #keys = 0;

  constructor(
    readonly name: string,
    readonly api: TinyKvClient,
    readonly prng: Prng,
    readonly env: HolderEnv,
  ) {}

  async run(): Promise<void> {
    while (this.env.running()) {
      const granted = await this.#grant();
      if (granted !== undefined) await this.#hold(granted);
      else await this.env.sleep(100 + this.prng.int(400));
    }
  }

  async #grant(): Promise<Mutable | undefined> {
    const call = this.env.now();
    const ttl = 1 + this.prng.int(4);
    try {
      const s = await this.api.grant(ttl);
      const r: Mutable = {
        holder: this.name,
        id: s.id,
        ttlMs: s.grantedTtlSeconds * 1000,
        renewedAt: [call],
        keys: [],
      };
      this.env.history.complete(this.#done("lease grant", call, "ok", `${s.id} ttl ${ttl}`));
      return r;
    } catch (err) {
      this.env.history.complete(this.#done("lease grant", call, outcomeOf(err), errorMessage(err)));
      return undefined;
    }
  }

  #done(name: string, call: number, outcome: Outcome, detail: string) {
    return { client: this.name, name, call, ret: this.env.now(), outcome, detail };
  }

  async #hold(r: Mutable): Promise<void> {
    this.records.push(r);
    for (let i = 1 + this.prng.int(3); i > 0 && r.lostAt === undefined; i--) await this.#attach(r);
    const until = this.env.now() + 500 + this.prng.int(4000);
    while (r.lostAt === undefined && !this.env.closed()) {
      if (this.env.running() && this.env.now() >= until) break;
      await this.env.sleep(Math.max(100, Math.floor(r.ttlMs / 3)));
      if (this.prng.chance(0.2)) await this.#read(r);
      await this.#keepAlive(r);
    }
    if (r.lostAt !== undefined) return;
    // Kept to the end (the workload stopped first): keep-alives ran until the checks closed.
    if (this.env.closed()) return await this.#lastWord(r);
    r.releasedAt = this.env.now();
    this.released.add(r.id);
    if (this.prng.chance(0.5)) {
      const call = this.env.now();
      const outcome = await this.api.revoke(r.id).then(() => "ok" as const, outcomeOf);
      this.env.history.complete(this.#done("lease revoke", call, outcome, String(r.id)));
    }
  }

  /**
   * The checks are done with the history: one last keep-alive (a few tries)
   * learns whether the lease was still alive, so a lease that ended unseen
   * after the last keep-alive is judged by when it ended (lease_check.ts).
   */
  async #lastWord(r: Mutable): Promise<void> {
    for (let i = 0; i < 5 && r.lostAt === undefined; i++) {
      const renewals = r.renewedAt.length;
      await this.#keepAlive(r);
      if (r.renewedAt.length > renewals) return;
      await this.env.sleep(200);
    }
  }

  async #keepAlive(r: Mutable): Promise<void> {
    const call = this.env.now();
    try {
      await this.api.keepAliveOnce(r.id);
      r.renewedAt.push(call);
    } catch (err) {
      if (isNotFound(err)) {
        r.lostAt = this.env.now();
        this.env.history.complete(this.#done("lease lost", call, "ok", String(r.id)));
      }
    }
  }

  async #attach(r: Mutable): Promise<void> {
    const key = `${LEASE_PREFIX}${this.name}/${++this.#keys}`;
    const value = this.env.freshValue();
    const call = this.env.now();
    let outcome: Outcome = "ok", revision: number | undefined;
    try {
      revision = await this.api.put(key, value, { lease: r.id });
      r.keys.push(key);
    } catch (err) {
      outcome = outcomeOf(err);
      if (isNotFound(err)) r.lostAt = this.env.now();
    }
    const ret = outcome === "unknown" ? Infinity : this.env.now();
    const txn = { compare: [], success: [{ put: { key, value, lease: r.id } }], failure: [] };
    const result = outcome === "ok" ? { succeeded: true, revision, results: [] } : undefined;
    this.env.history.revision({ client: this.name, name: "put", call, ret, outcome, txn, result });
    this.env.history.complete(this.#done("lease put", call, outcome, `${key} lease ${r.id}`));
  }

  /** Reads the lease's keys (a scan of the holder's prefix): the revision checker checks it. */
  async #read(r: Mutable): Promise<void> {
    const call = this.env.now();
    const prefix = `${LEASE_PREFIX}${this.name}/`;
    try {
      const page = await this.api.scan({ prefix, limit: 1000 });
      const kvs = page.items.map((e) => ({
        key: fromUtf8(e.key),
        value: fromUtf8(e.value),
        lease: e.lease,
      }));
      this.env.history.revision({
        client: this.name,
        name: "scan",
        call,
        ret: this.env.now(),
        outcome: "ok",
        txn: { compare: [], success: [{ range: prefixRange(prefix) }], failure: [] },
        result: { succeeded: true, revision: page.revision, results: [{ kvs }] },
      });
      this.env.history.complete(
        this.#done("lease scan", call, "ok", `${prefix} ${kvs.length} (${r.id})`),
      );
    } catch (err) {
      this.env.history.complete(this.#done("lease scan", call, "fail", errorMessage(err)));
    }
  }
}
