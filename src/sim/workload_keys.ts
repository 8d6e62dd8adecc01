/**
 * The keys the simulated clients use: a few registers that every client reads
 * and writes (so operations overlap and the checker has work), a few counters
 * only INCR and GET touch (a counter never holds a non-number), and
 * write-once insert keys whose acknowledged values must all survive.
 */
import type { Prng } from "../util/prng.ts";
import type { Op } from "./linearizability.ts";
import type { Seen, SeenResult } from "./rev_txn.ts";

export const REGISTER_PREFIX = "r/";
export const COUNTER_PREFIX = "n/";
export const INSERT_PREFIX = "a/";

export class WorkloadKeys {
  readonly registers: readonly string[];
  readonly counters: readonly string[];
  readonly #lastSeen = new Map<string, string>();
  readonly #inserts = new Map<string, number>();
  readonly #txnSeen = new Map<string, Seen>();
  /** Store revisions responses reported (reads at a past revision pick one). */
  readonly #revisions: number[] = [];

  constructor(registers: number, counters: number) {
    this.registers = Array.from({ length: registers }, (_, i) => `${REGISTER_PREFIX}${i}`);
    this.counters = Array.from({ length: counters }, (_, i) => `${COUNTER_PREFIX}${i}`);
  }

  register(prng: Prng): string {
    return this.registers[prng.int(this.registers.length)];
  }

  counter(prng: Prng): string {
    return this.counters[prng.int(this.counters.length)];
  }

  /** A key no one has written: `a/<client>/<n>`. */
  insertKey(client: string): string {
    const n = (this.#inserts.get(client) ?? 0) + 1;
    this.#inserts.set(client, n);
    return `${INSERT_PREFIX}${client}/${n}`;
  }

  /** The value last read or written at `key` ("" for absent): a compare-and-set's guess. */
  lastSeen(key: string): string {
    return this.#lastSeen.get(key) ?? "";
  }

  /** Remembers values of successful operations, so compare-and-sets often match. */
  observe(ops: readonly Op[]): void {
    for (const o of ops) {
      if (o.kind === "get" || o.kind === "put") this.#lastSeen.set(o.key, o.value);
      if (o.kind === "delete") this.#lastSeen.set(o.key, "");
      if (o.kind === "cas" && o.applied) this.#lastSeen.set(o.key, o.value);
    }
  }

  /** A transaction key as last read (a compare's guess), if it was. */
  txnSeen(key: string): Seen | undefined {
    return this.#txnSeen.get(key);
  }

  /** Remembers the keys a transaction's ranges returned. */
  observeTxn(results: readonly (SeenResult | undefined)[]): void {
    for (const r of results) {
      if (r !== undefined && "kvs" in r) { for (const s of r.kvs) this.#txnSeen.set(s.key, s); }
    }
  }

  sawRevision(revision: number): void {
    if (revision > 0 && this.#revisions.length < 10_000) this.#revisions.push(revision);
  }

  /** A store revision some response reported (0 before any did). */
  pastRevision(prng: Prng): number {
    return this.#revisions.length === 0 ? 0 : this.#revisions[prng.int(this.#revisions.length)];
  }
}
