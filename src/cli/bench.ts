/**
 * `tinykv bench`: a load generator using the client library. Workers issue
 * operations back to back (closed loop) for a duration or a count, printing
 * progress every second; the summary gives ops/s, latency percentiles and
 * errors by code. `--json` prints one JSON object instead.
 *
 * `--op txn` makes each operation one `txn` that puts `--txn-keys` keys (3 by default): keys
 * drawn at random over `--keys`, so on nodes that split they usually lie in several regions (a
 * transaction across regions: decision 0019), or with `--txn-near` consecutive keys from a random
 * start, which share a region unless a boundary falls between them — the same load within one
 * region, to compare with.
 */
import { TinyKvError } from "../client/errors.ts";
import { TinyKvClient } from "../client/tinykv_client.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { createPrng, type Prng } from "../util/prng.ts";
import type { TxnOp } from "../client/txn.ts";
import { LatencyHistogram } from "./latency_histogram.ts";
import { UsageError } from "./usage_error.ts";
import { TXN_OPS_MAX } from "../limits.ts";

export interface BenchFlags {
  readonly endpoints?: string;
  readonly op?: string;
  readonly concurrency?: string;
  readonly duration?: string;
  readonly count?: string;
  readonly "value-size"?: string;
  readonly "key-size"?: string;
  readonly keys?: string;
  readonly "read-ratio"?: string;
  readonly "txn-keys"?: string;
  readonly "txn-near"?: boolean;
  readonly consistency?: string;
  readonly warmup?: string;
  readonly json?: boolean;
}

function int(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`${name} must be 0..${max}`);
  return n;
}

interface BenchConfig {
  op: "put" | "get" | "mixed" | "txn";
  concurrency: number;
  durationS: number;
  /**
   * Seconds of the same load run first and not counted: a fresh client process compiles its hot
   * paths meanwhile, as a long-running application's client has (bench:versus warms every row).
   */
  warmupS: number;
  count: number;
  valueSize: number;
  keySize: number;
  keys: number;
  readRatio: number;
  /** Keys a `txn` operation puts, and whether they are consecutive (`--txn-near`). */
  txnKeys: number;
  txnNear: boolean;
  consistency: "linearizable" | "lease" | "serializable";
  /**
   * Client connections the workers share. One connection makes client and
   * server take turns (each waits while the other handles a whole batch);
   * several let them work at the same time, like several client processes.
   */
  connections: number;
}

/** Connections for a concurrency: one per 8 workers, at most 4. */
function connectionsFor(concurrency: number): number {
  return Math.max(1, Math.min(BENCH_CONNECTIONS_MAX, Math.floor(concurrency / 8)));
}

const BENCH_CONNECTIONS_MAX = 4;

function config(f: BenchFlags): BenchConfig {
  const op = f.op ?? "put";
  if (op !== "put" && op !== "get" && op !== "mixed" && op !== "txn") {
    throw new UsageError("--op must be put, get, mixed or txn");
  }
  const consistency = f.consistency ?? "linearizable";
  if (consistency !== "linearizable" && consistency !== "lease" && consistency !== "serializable") {
    throw new UsageError("--consistency must be linearizable, lease or serializable");
  }
  const concurrency = Math.max(1, int(f.concurrency, "--concurrency", 16, 4096));
  return {
    op,
    concurrency,
    connections: connectionsFor(concurrency),
    durationS: int(f.duration, "--duration", 10, 86_400),
    warmupS: int(f.warmup, "--warmup", 0, 600),
    count: int(f.count, "--count", 0, 1e9),
    valueSize: int(f["value-size"], "--value-size", 100, 64 * 1024 * 1024),
    keySize: Math.max(8, int(f["key-size"], "--key-size", 16, 4000)),
    keys: Math.max(1, int(f.keys, "--keys", 10_000, 1e8)),
    readRatio: int(f["read-ratio"], "--read-ratio", 50, 100) / 100,
    txnKeys: Math.max(1, int(f["txn-keys"], "--txn-keys", 3, TXN_OPS_MAX)),
    txnNear: f["txn-near"] === true,
    consistency,
  };
}

function keyOf(i: number, size: number): string {
  return `bench-${String(i).padStart(size - 6, "0")}`;
}

/** Keys whose bytes are kept once made (16 B each, plus an array's overhead). */
const KEY_BYTES_CACHED_MAX = 100_000;

/**
 * The load's keys as bytes, each made once (the first KEY_BYTES_CACHED_MAX): formatting and
 * encoding a key per operation was a few per cent of the client's CPU, which shares the cores
 * with the nodes it measures.
 */
class KeyBytes {
  readonly #made: (Uint8Array | undefined)[] = [];
  readonly #encoder = new TextEncoder();
  constructor(readonly size: number) {}

  of(i: number): Uint8Array {
    const known = this.#made[i];
    if (known !== undefined) return known;
    const key = this.#encoder.encode(keyOf(i, this.size));
    if (i < KEY_BYTES_CACHED_MAX) this.#made[i] = key;
    return key;
  }
}

/** The puts of one `txn` operation: distinct keys, at random or consecutive (`--txn-near`). */
function txnPuts(cfg: BenchConfig, prng: Prng, value: Uint8Array): TxnOp[] {
  const n = Math.min(cfg.txnKeys, cfg.keys);
  const picked = new Set<number>();
  const start = prng.int(cfg.keys);
  for (let i = 0; picked.size < n; i++) {
    picked.add(cfg.txnNear ? (start + i) % cfg.keys : prng.int(cfg.keys));
  }
  return [...picked].map((k) => ({ put: { key: keyOf(k, cfg.keySize), value } }));
}

interface Run {
  readonly hist: LatencyHistogram;
  readonly errors: Map<string, number>;
  readonly seconds: number;
}

/**
 * Writes `--keys` keys so reads hit: 100 keys per batch, or, where a node refuses a batch whose
 * keys lie in more than one region (FAILED_PRECONDITION: nodes without transactions across
 * regions), that batch's keys as single puts, each routed to its own region.
 */
async function preload(cfg: BenchConfig, client: TinyKvClient, value: Uint8Array): Promise<void> {
  for (let i = 0; i < cfg.keys; i += 100) {
    const keys = [];
    for (let k = i; k < Math.min(cfg.keys, i + 100); k++) keys.push(keyOf(k, cfg.keySize));
    try {
      await client.batch(keys.map((key) => ({ type: "put" as const, key, value })));
    } catch (err) {
      if (!(err instanceof TinyKvError) || err.code !== "FAILED_PRECONDITION") throw err;
      await Promise.all(keys.map((key) => client.put(key, value)));
    }
  }
}

/**
 * Runs the load on `clients` for `durationS` seconds, or until `count` operations were issued
 * when `count` > 0.
 */
async function load(
  cfg: BenchConfig,
  clients: readonly TinyKvClient[],
  value: Uint8Array,
  clock: Platform["clock"],
  limits: { readonly durationS: number; readonly count: number },
  onSecond: (hist: LatencyHistogram, elapsedMs: number) => void,
): Promise<Run> {
  const hist = new LatencyHistogram();
  const errors = new Map<string, number>();
  const started = clock.nowMs();
  const endAt = started + limits.durationS * 1000;
  let issued = 0;
  let timer = clock.setTimeout(function tick() {
    onSecond(hist, clock.nowMs() - started);
    timer = clock.setTimeout(tick, 1000);
  }, 1000);
  const keys = new KeyBytes(cfg.keySize);
  const worker = async (w: number) => {
    const mine = clients[w % clients.length];
    const prng = createPrng(w + 1);
    while (limits.count > 0 ? issued < limits.count : clock.nowMs() < endAt) {
      issued++;
      const key = keys.of(prng.int(cfg.keys));
      const read = cfg.op === "get" || (cfg.op === "mixed" && prng.chance(cfg.readRatio));
      const t0 = clock.nowMs();
      try {
        if (cfg.op === "txn") await mine.txn({ success: txnPuts(cfg, prng, value) });
        else if (read) await mine.get(key, { consistency: cfg.consistency });
        else await mine.put(key, value);
        hist.record((clock.nowMs() - t0) * 1000);
      } catch (err) {
        const code = err instanceof TinyKvError ? err.code : "ERROR";
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, (_, w) => worker(w)));
  clock.clearTimeout(timer);
  return { hist, errors, seconds: (clock.nowMs() - started) / 1000 };
}

function summary(cfg: BenchConfig, run: Run) {
  const q = (p: number) => Number((run.hist.quantile(p) / 1000).toFixed(3));
  return {
    op: cfg.op,
    concurrency: cfg.concurrency,
    valueSize: cfg.valueSize,
    seconds: Number(run.seconds.toFixed(2)),
    ops: run.hist.count,
    opsPerSecond: Math.round(run.hist.count / run.seconds),
    latencyMs: {
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      p999: q(0.999),
      max: Number((run.hist.maxUs / 1000).toFixed(3)),
    },
    errors: Object.fromEntries(run.errors),
  };
}

export async function bench(
  flags: BenchFlags,
  client: TinyKvClient,
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  const cfg = config(flags);
  const value = createPrng(1).fill(new Uint8Array(cfg.valueSize));
  if (cfg.op === "get" || cfg.op === "mixed") await preload(cfg, client, value);
  const clients = [client];
  for (let i = 1; i < cfg.connections; i++) {
    clients.push(new TinyKvClient({ ...client.options, seed: client.options.seed + i }));
  }
  const clock = platform.clock;
  let run: Run;
  try {
    if (cfg.warmupS > 0) {
      await load(cfg, clients, value, clock, { durationS: cfg.warmupS, count: 0 }, () => {});
    }
    let last = 0;
    run = await load(cfg, clients, value, clock, cfg, (hist, elapsedMs) => {
      if (flags.json) return;
      const p99 = (hist.quantile(0.99) / 1000).toFixed(2);
      host.writeStderr(
        `  ${(elapsedMs / 1000).toFixed(0)}s: ${hist.count - last} ops, p99 ${p99} ms\n`,
      );
      last = hist.count;
    });
  } finally {
    for (const c of clients.slice(1)) c.close();
  }
  const r = summary(cfg, run);
  if (flags.json) host.writeStdout(JSON.stringify(r) + "\n");
  else {
    const l = r.latencyMs;
    const errs = run.errors.size === 0 ? "none" : JSON.stringify(r.errors);
    host.writeStdout(
      `${cfg.op} x${cfg.concurrency}, ${cfg.valueSize} B values: ${r.ops} ops in ${r.seconds} s` +
        ` = ${r.opsPerSecond} ops/s\nlatency ms: p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  ` +
        `p99.9 ${l.p999}  max ${l.max}\nerrors: ${errs}\n`,
    );
  }
  return run.errors.size === 0 ? 0 : 1;
}
