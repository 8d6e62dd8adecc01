/**
 * Concurrent clients doing reads, writes and compare-and-sets on a small key
 * set, plus inserts of unique keys ("ack/…") whose acknowledged copies must all
 * survive. Every operation is recorded with its invoke and complete times and
 * an outcome: ok, fail (definitely did not happen) or unknown (a write that
 * timed out or lost its connection: it may or may not have happened).
 */
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";
import type { ChaosCluster } from "./chaos_cluster.ts";

export type OpKind = "get" | "put" | "cas" | "insert";
export type Outcome = "ok" | "fail" | "unknown";

export interface HistoryOp {
  readonly client: number;
  readonly kind: OpKind;
  readonly key: string;
  /** put/cas/insert: the value written; get: the value read ("" when absent). */
  value: string;
  /** cas: the value required ("" for absent). */
  readonly expected?: string;
  /** cas: whether it applied. */
  applied?: boolean;
  /** ms since the run started. */
  readonly call: number;
  ret: number;
  outcome: Outcome;
  error?: string;
}

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  readonly seed: number;
  /** Pause between one client's operations (ms); bounds the history's size. */
  readonly thinkMs: number;
  /** Keep every op (false in the soak: only counts). */
  readonly record: boolean;
}

export class Workload {
  readonly history: HistoryOp[] = [];
  readonly counts = { ok: 0, fail: 0, unknown: 0 };
  /** Completion times of successful operations, for availability gaps. */
  readonly okTimes: number[] = [];
  /** Completion times of successful writes. */
  readonly okWriteCalls: { call: number; ret: number }[] = [];
  readonly #clients: TinyKvClient[] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(
    readonly cluster: ChaosCluster,
    readonly o: WorkloadOptions,
    readonly t0: number,
  ) {}

  get keys(): string[] {
    return Array.from({ length: this.o.keys }, (_, i) => `k${i}`);
  }

  now(): number {
    return performance.now() - this.t0;
  }

  start(): void {
    this.#running = true;
    const eps = this.cluster.endpoints;
    for (let c = 0; c < this.o.clients; c++) {
      const client = new TinyKvClient({
        // Each client starts at a different node; redirects find the leader.
        endpoints: eps.map((_, i) => eps[(i + c) % eps.length]),
        net: this.cluster.clientNet,
        clock: getPlatform().clock,
        seed: this.o.seed * 1000 + c,
        deadlineMs: 4000,
        attemptTimeoutMs: 1000,
      });
      this.#clients.push(client);
      this.#loops.push(this.#loop(c, client, createPrng(this.o.seed * 7919 + c)));
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const c of this.#clients) c.close();
  }

  async #loop(c: number, client: TinyKvClient, prng: Prng): Promise<void> {
    const seen = new Map<string, string>();
    let n = 0;
    while (this.#running) {
      const key = this.keys[prng.int(this.keys.length)];
      const roll = prng.nextFloat();
      const value = `c${c}-${n++}`;
      let op: HistoryOp;
      if (roll < 0.4) op = this.#begin(c, "get", key, "");
      else if (roll < 0.7) op = this.#begin(c, "put", key, value);
      else if (roll < 0.9) op = this.#begin(c, "cas", key, value, seen.get(key) ?? "");
      else op = this.#begin(c, "insert", `ack/${c}/${n}`, value);
      await this.#run(client, op);
      if (op.outcome === "ok" && op.kind !== "insert") {
        if (op.kind !== "cas" || op.applied === true) seen.set(key, op.value);
      }
      if (this.o.thinkMs > 0) await new Promise((r) => setTimeout(r, prng.int(this.o.thinkMs)));
    }
  }

  #begin(c: number, kind: OpKind, key: string, value: string, expected?: string): HistoryOp {
    return { client: c, kind, key, value, expected, call: this.now(), ret: 0, outcome: "ok" };
  }

  async #run(client: TinyKvClient, op: HistoryOp): Promise<void> {
    try {
      switch (op.kind) {
        case "get": {
          const v = await client.get(op.key);
          op.value = v === undefined ? "" : fromUtf8(v);
          break;
        }
        case "put":
        case "insert":
          await client.put(op.key, op.value);
          break;
        case "cas":
          op.applied = await client.compareAndSet(
            op.key,
            op.expected === "" ? undefined : op.expected,
            op.value,
          );
          break;
      }
      op.outcome = "ok";
    } catch (err) {
      const unknown = op.kind !== "get" &&
        (!(err instanceof TinyKvError) || err.outcomeUnknown);
      op.outcome = unknown ? "unknown" : "fail";
      op.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    op.ret = this.now();
    this.counts[op.outcome]++;
    if (op.outcome === "ok") {
      this.okTimes.push(op.ret);
      if (op.kind !== "get") this.okWriteCalls.push({ call: op.call, ret: op.ret });
    }
    if (this.o.record) this.history.push(op);
  }
}
