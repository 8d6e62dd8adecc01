/**
 * Watchers of the simulation: clients that watch a prefix from a start
 * revision with the client library's `watch()` (which reconnects to another
 * node and resumes on its own), record every change delivered, and now and
 * then end a watch and start another. They keep watching through the heal
 * phase; `finish` waits (bounded) until every watch has delivered up to the
 * store's revision, then ends them. watch_delivery.ts compares each record with
 * the committed history.
 */
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { simClient } from "./sim_client.ts";
import type { Watch } from "../client/watch.ts";
import type { Clock, Net } from "../platform/types.ts";
import { errorMessage } from "../util/errors.ts";
import { fromUtf8 } from "../util/bytes.ts";
import type { Prng } from "../util/prng.ts";
import { prefixRange, type RevChange, type TextRange } from "./rev_model.ts";
import type { WatchRecord } from "./watch_delivery.ts";
import type { WorkloadKeys } from "./workload_keys.ts";

export interface WatchersEnv {
  readonly clock: Clock;
  readonly prng: Prng;
  readonly netOf: (name: string) => Net;
  readonly kvEndpoints: () => string[];
  readonly keys: WorkloadKeys;
  readonly deadlineMs: number;
  readonly note: (event: string) => void;
}

/** Prefixes a watch may cover ("" is every key). */
const PREFIXES = ["r/", "t/", "t/a/", "l/", ""];
const EVERY_KEY: TextRange = { key: "", end: "\0" };

interface Running {
  readonly record: { -readonly [K in keyof WatchRecord]: WatchRecord[K] };
  readonly watch: Watch;
}

export class Watchers {
  readonly records: WatchRecord[] = [];
  readonly #running = new Set<Running>();
  readonly #loops: Promise<void>[] = [];
  readonly #clients: TinyKvClient[] = [];
  #stopping = false;

  constructor(readonly env: WatchersEnv, readonly count: number) {}

  start(): void {
    for (let i = 1; i <= this.count; i++) {
      this.#loops.push(this.#loop(`w${i}`, this.env.prng.fork()));
    }
  }

  #client(name: string, prng: Prng): TinyKvClient {
    const api = simClient(this.env, name, prng, this.env.deadlineMs);
    this.#clients.push(api);
    return api;
  }

  async #loop(name: string, prng: Prng): Promise<void> {
    const api = this.#client(name, prng);
    for (let n = 1; !this.#stopping; n++) {
      const prefix = PREFIXES[prng.int(PREFIXES.length)];
      const range = prefix === "" ? EVERY_KEY : prefixRange(prefix);
      const from = prng.chance(0.3) ? 1 : Math.max(1, this.env.keys.pastRevision(prng));
      await this.#watchOnce(api, `${name}#${n}`, range, from, prng);
    }
  }

  /** One watch, until it is ended (after a while, or by `finish`). */
  async #watchOnce(
    api: TinyKvClient,
    name: string,
    range: TextRange,
    from: number,
    prng: Prng,
  ): Promise<void> {
    const watch = api.watch({ key: range.key, rangeEnd: range.end }, { fromRevision: from });
    const delivered: RevChange[] = [], problems: string[] = [];
    const record = { name, range, from, delivered, through: from - 1, problems };
    const run: Running = { record, watch };
    this.#running.add(run);
    this.env.note(`watch ${name} ${range.key}..${range.end} from ${from}`);
    const timer = this.env.clock.setTimeout(() => watch.cancel(), 500 + prng.int(8000));
    try {
      let last = from - 1;
      for await (const u of watch) {
        if (u.revision < last) problems.push(`update at revision ${u.revision} after ${last}`);
        last = Math.max(last, u.revision);
        for (const e of u.events) {
          const value = e.type === "put" ? fromUtf8(e.value) : "";
          delivered.push({ revision: e.modRevision, type: e.type, key: fromUtf8(e.key), value });
        }
      }
    } catch (err) {
      problems.push(`ended with ${errorMessage(err)}`);
    } finally {
      this.env.clock.clearTimeout(timer);
      // The queue is drained: the watch has delivered everything before its next revision.
      record.through = watch.nextRevision - 1;
      // The client library hides a node's repeats; a correct node sends none.
      if (watch.repeatsDropped > 0) {
        problems.push(`nodes sent ${watch.repeatsDropped} changes again`);
      }
      this.#running.delete(run);
      this.records.push(record);
    }
  }

  /**
   * Waits until every running watch has delivered up to `revision` (at most
   * `ms` of virtual time), then ends them all. Resolves with the watches that
   * did not get there.
   */
  async finish(revision: number, ms: number): Promise<string[]> {
    this.#stopping = true;
    const until = this.env.clock.nowMs() + ms;
    const behind = () => [...this.#running].filter((r) => r.watch.nextRevision <= revision);
    while (behind().length > 0 && this.env.clock.nowMs() < until) {
      await new Promise<void>((r) => this.env.clock.setTimeout(r, 50));
    }
    const stuck = behind().map((r) =>
      `watch ${r.record.name} stuck at ${r.watch.nextRevision - 1} (store at ${revision})`
    );
    for (const r of this.#running) r.watch.cancel();
    await Promise.all(this.#loops);
    for (const api of this.#clients) api.close();
    return stuck;
  }
}
