/**
 * The recent past of the node's own metrics, for the dashboard's charts
 * (GET /metrics/history, docs/operations.md). Once a second it reads the
 * registry (the same counters, gauges and histograms GET /metrics renders)
 * and keeps what changed in that second as one sample: request rates by
 * operation and result, the interval's p50/p99 latency, Raft commit and apply
 * rates, each follower's lag (on the leader), write stalls, flushes and
 * compactions. A fixed-size ring keeps the last METRICS_HISTORY_SAMPLES.
 */
import { METRICS_HISTORY_SAMPLES, METRICS_HISTORY_SERIES_MAX } from "../../limits.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { type BucketCounts, bucketDelta, bucketQuantile, sumBuckets } from "./bucket_quantile.ts";
import type { MetricsRegistry } from "./registry.ts";
import { SampleRing } from "./sample_ring.ts";

/** One interval; every rate is per second over `seconds`. */
export interface MetricsSample {
  /** Numbers samples from 1 since the node started; `?since=` asks for newer ones. */
  readonly seq: number;
  /** The node's monotonic clock at the end of the interval. */
  readonly atMs: number;
  readonly seconds: number;
  /** `op/result` (e.g. `get/ok`, `write_put/not_leader`) to requests per second; 0s left out. */
  readonly requests: Readonly<Record<string, number>>;
  /** Latency percentiles of the interval's requests, ms; null when there were none. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly commitPerSec: number;
  readonly applyPerSec: number;
  /** Leader only: follower id to log entries it is missing; empty on other nodes. */
  readonly lag: Readonly<Record<string, number>>;
  readonly storage: {
    readonly slowdownPerSec: number;
    readonly stopPerSec: number;
    readonly memtableStallPerSec: number;
    readonly flushesPerSec: number;
    readonly compactionsPerSec: number;
  };
}

export interface MetricsHistoryJson {
  readonly intervalMs: number;
  readonly capacity: number;
  /** The node's monotonic clock now: a sample is `nowMs - atMs` ms old. */
  readonly nowMs: number;
  readonly samples: readonly MetricsSample[];
}

/** Running totals read at one moment; a sample is the difference of two. */
interface Reading {
  readonly atMs: number;
  readonly requests: ReadonlyMap<string, number>;
  readonly latency: BucketCounts;
  readonly totals: Readonly<Record<string, number>>;
}

const REQUESTS = "tinykv_requests_total";
const LATENCY = "tinykv_request_duration_seconds";
const LAG = "tinykv_raft_follower_lag_entries";
/** Single-valued totals, by the name a sample gives their rate. */
const TOTALS: Readonly<Record<string, [metric: string, labels?: Record<string, string>]>> = {
  commit: ["tinykv_raft_commit_index"],
  apply: ["tinykv_raft_applied_index"],
  slowdown: ["tinykv_storage_write_stalls_total", { kind: "slowdown" }],
  stop: ["tinykv_storage_write_stalls_total", { kind: "stop" }],
  memtable: ["tinykv_storage_write_stalls_total", { kind: "memtable" }],
  flushes: ["tinykv_storage_flushes_total"],
  compactions: ["tinykv_storage_compactions_total"],
};

export const HISTORY_INTERVAL_MS = 1000;

/** Increase of a running total; a total that went down restarted (an engine swapped in). */
function increase(before: number | undefined, after: number): number {
  return before === undefined || after < before ? after : after - before;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

export class MetricsHistory {
  readonly #ring: SampleRing<MetricsSample>;
  #last: Reading | undefined;
  #seq = 0;
  #timer: TimerId | undefined;
  #stopped = false;
  /** Seconds whose reading threw (and were left out). */
  failures = 0;

  constructor(
    readonly registry: MetricsRegistry,
    readonly clock: Clock,
    readonly capacity = METRICS_HISTORY_SAMPLES,
    readonly seriesMax = METRICS_HISTORY_SERIES_MAX,
  ) {
    this.#ring = new SampleRing(capacity);
  }

  /** Samples every HISTORY_INTERVAL_MS until stop(). */
  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#timer = this.clock.setTimeout(tick, HISTORY_INTERVAL_MS);
      try {
        this.sample();
      } catch {
        // A collector failed (say, mid-way through swapping in a snapshot's engine): the
        // charts get a gap, never the node a crash from a timer. Start again next second.
        this.#last = undefined;
        this.failures++;
      }
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
  }

  /** Reads the metrics; from the second reading on, records the interval since the last. */
  sample(): void {
    this.registry.collect();
    const now = this.#read();
    const last = this.#last;
    this.#last = now;
    const seconds = last === undefined ? 0 : (now.atMs - last.atMs) / 1000;
    if (last === undefined || seconds <= 0) return;
    const rate = (name: string) =>
      round(increase(last.totals[name], now.totals[name] ?? 0) / seconds, 2);
    const latency = bucketDelta(last.latency, now.latency);
    const bounds = this.registry.histogramValues(LATENCY)[0]?.bounds ?? [];
    const ms = (q: number) => {
      const s = bucketQuantile(q, bounds, latency);
      return s === null ? null : round(s * 1000, 3);
    };
    this.#ring.push({
      seq: ++this.#seq,
      atMs: round(now.atMs, 1),
      seconds: round(seconds, 3),
      requests: this.#requestRates(last, now, seconds),
      p50Ms: ms(0.5),
      p99Ms: ms(0.99),
      commitPerSec: rate("commit"),
      applyPerSec: rate("apply"),
      lag: Object.fromEntries(
        this.registry.values(LAG).map((s) => [s.labels.peer ?? "?", s.value]),
      ),
      storage: {
        slowdownPerSec: rate("slowdown"),
        stopPerSec: rate("stop"),
        memtableStallPerSec: rate("memtable"),
        flushesPerSec: rate("flushes"),
        compactionsPerSec: rate("compactions"),
      },
    });
  }

  /** The kept samples numbered above `since`, oldest first. */
  json(since = 0): MetricsHistoryJson {
    return {
      intervalMs: HISTORY_INTERVAL_MS,
      capacity: this.capacity,
      nowMs: round(this.clock.nowMs(), 1),
      samples: this.#ring.since(since),
    };
  }

  #read(): Reading {
    const requests = new Map<string, number>();
    for (const s of this.registry.values(REQUESTS)) {
      requests.set(`${s.labels.op}/${s.labels.result}`, s.value);
    }
    const hist = this.registry.histogramValues(LATENCY);
    const totals: Record<string, number> = {};
    for (const [name, [metric, labels]] of Object.entries(TOTALS)) {
      const series = this.registry.values(metric).find((s) =>
        Object.entries(labels ?? {}).every(([k, v]) => s.labels[k] === v)
      );
      if (series !== undefined) totals[name] = series.value;
    }
    return {
      atMs: this.clock.nowMs(),
      requests,
      latency: sumBuckets(hist, hist[0]?.bounds.length ?? 0),
      totals,
    };
  }

  /** Non-zero rates, the largest METRICS_HISTORY_SERIES_MAX - 1 kept and the rest as `other`. */
  #requestRates(last: Reading, now: Reading, seconds: number): Record<string, number> {
    const rates: [string, number][] = [];
    for (const [key, total] of now.requests) {
      const n = increase(last.requests.get(key), total);
      if (n > 0) rates.push([key, n / seconds]);
    }
    rates.sort((a, b) => b[1] - a[1]);
    const out: Record<string, number> = {};
    const keep = rates.length <= this.seriesMax ? rates.length : this.seriesMax - 1;
    for (const [key, r] of rates.slice(0, keep)) out[key] = round(r, 2);
    const rest = rates.slice(keep).reduce((sum, [, r]) => sum + r, 0);
    if (rest > 0) out.other = round(rest, 2);
    return out;
  }
}

/** Parses `?since=`: absent is 0, otherwise a whole number; undefined when malformed. */
export function parseSince(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return 0;
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}
