/**
 * A watcher through the whole run (issue 11's acceptance): a client on its own
 * host watches every key from revision 1 while the workload writes and the
 * nemesis crashes, pauses and partitions nodes. After the heal, what it delivered
 * must equal the committed changes read from a node's history: every change in
 * revision order, none missing, none repeated, across every reconnection.
 */
import { TinyKvClient } from "../client/tinykv_client.ts";
import type { Watch } from "../client/watch.ts";
import type { WatchChange } from "../client/watch_wire.ts";
import type { KvEvent } from "../kv/key_state.ts";
import type { Clock, Net } from "../platform/types.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import type { SimCluster } from "./sim_cluster.ts";

const ALL = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
/** Virtual time the watcher may take to deliver the last committed change after the heal. */
const CATCH_UP_MS = 30_000;

function changeText(type: string, key: Uint8Array, value: Uint8Array, revision: number): string {
  return `${type} ${fromUtf8(key)}=${fromUtf8(value)}@${revision}`;
}

const delivered = (e: WatchChange) => changeText(e.type, e.key, e.value, e.modRevision);
const committed = (e: KvEvent) => changeText(e.type, e.kv.key, e.kv.value, e.kv.modRevision);

export class WatchCheck {
  readonly #client: TinyKvClient;
  readonly #watch: Watch;
  readonly #seen: string[] = [];
  #ended: string | undefined;

  constructor(env: { clock: Clock; net: Net; endpoints: string[]; seed: number }) {
    this.#client = new TinyKvClient({
      endpoints: env.endpoints,
      net: env.net,
      clock: env.clock,
      seed: env.seed,
      deadlineMs: 5000,
      attemptTimeoutMs: 1000,
    });
    this.#watch = this.#client.watch(ALL, { fromRevision: 1 });
    void this.#read();
  }

  async #read(): Promise<void> {
    try {
      for await (const update of this.#watch) {
        for (const e of update.events) this.#seen.push(delivered(e));
      }
      this.#ended = "the watch ended";
    } catch (err) {
      this.#ended = `the watch failed: ${errorMessage(err)}`;
    }
  }

  /** Ends the watch unchecked (nodes with regions: no one history to compare with). */
  close(): string[] {
    this.#watch.cancel();
    this.#client.close();
    return [];
  }

  /** After the heal (every node applied the same index): the failures, if any. */
  async finish(c: SimCluster): Promise<string[]> {
    const service = c.nodes.find((n) => n.server !== undefined)?.server?.node;
    if (service === undefined) return ["watch check: no running node to read history from"];
    const target = service.kv.revision;
    await c.waitFor(
      () => this.#ended !== undefined || this.#watch.nextRevision > target,
      CATCH_UP_MS,
    );
    const ended = this.#ended;
    const next = this.#watch.nextRevision;
    this.#watch.cancel();
    this.#client.close();
    const want: string[] = [];
    for (let from = 1, reads = 0; from <= target && reads < 100_000; reads++) {
      const page = await service.kv.readHistory(from, ALL, { maxEvents: 1000, prevKv: false });
      for (const e of page.events) if (e.kv.modRevision <= target) want.push(committed(e));
      from = page.through + 1;
    }
    const got = this.#seen.filter((s) => Number(s.slice(s.lastIndexOf("@") + 1)) <= target);
    return compare(inRevisionOrder(got), inRevisionOrder(want), ended, next, target);
  }
}

/**
 * Changes by revision; those of one revision in text order. RESP writes batched into one
 * entry share a revision (docs/server.md), and a watcher gets them in the order they
 * applied, while the history lists a revision's changes in key order.
 */
function inRevisionOrder(changes: readonly string[]): string[] {
  const rev = (s: string) => Number(s.slice(s.lastIndexOf("@") + 1));
  return [...changes].sort((a, b) => rev(a) - rev(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function compare(
  got: string[],
  want: string[],
  ended: string | undefined,
  next: number,
  target: number,
): string[] {
  const failures: string[] = [];
  if (ended !== undefined) failures.push(`watch check: ${ended}`);
  if (next <= target) failures.push(`watch check: delivered up to ${next - 1} of ${target}`);
  const i = got.findIndex((g, k) => g !== want[k]);
  if (i !== -1) {
    failures.push(`watch check: change ${i} was ${got[i]}, committed ${want[i] ?? "nothing"}`);
  } else if (got.length !== want.length && next > target) {
    failures.push(`watch check: ${got.length} changes delivered, ${want.length} committed`);
  }
  return failures;
}
