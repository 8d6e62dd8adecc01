/**
 * A small metrics registry rendered in the Prometheus text exposition format
 * (version 0.0.4). Counters, gauges and histograms, each with optional fixed
 * label names. Metric and label names are validated when registered; label
 * values are escaped when rendered.
 */
import { assert } from "../../util/assert.ts";

type Labels = Readonly<Record<string, string>>;

/** One series of a counter or gauge, as read by `MetricsRegistry.values` (metrics_history.ts). */
export interface SeriesValue {
  readonly labels: Labels;
  readonly value: number;
}

/** One histogram series: cumulative counts per bound (`le`), then the +Inf total. */
export interface HistogramValue {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/**
 * Series key: the label values in the metric's label-name order. Runs on
 * every observation (a request's counter and histogram), so no sorting or
 * JSON: that cost ~15 % of a node's CPU under a read load.
 */
function keyOf(labels: Labels, names: readonly string[]): string {
  let key = "";
  for (const n of names) key += `${labels[n] ?? ""}\u0000`;
  return key;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

interface Metric {
  readonly name: string;
  readonly help: string;
  render(out: string[]): void;
}

abstract class LabeledMetric<T> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; value: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    assert(NAME.test(name), `bad metric name ${name}`);
    for (const l of labelNames) assert(LABEL.test(l) && l !== "le", `bad label name ${l}`);
  }

  protected get(labels: Labels, init: () => T): T {
    const key = keyOf(labels, this.labelNames);
    let s = this.series.get(key);
    if (s === undefined) {
      // Checked when a series is created; later observations reuse its key.
      const names = Object.keys(labels);
      assert(names.length === this.labelNames.length, `${this.name}: wrong label count`);
      for (const n of names) {
        assert(this.labelNames.includes(n), `${this.name}: unknown label ${n}`);
      }
      s = { labels: { ...labels }, value: init() };
      this.series.set(key, s);
    }
    return s.value;
  }

  abstract render(out: string[]): void;
}

/** A counter or a gauge: one number per series. */
abstract class ScalarMetric extends LabeledMetric<{ n: number }> {
  values(): SeriesValue[] {
    return [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value.n }));
  }
}

export class Counter extends ScalarMetric {
  inc(labels: Labels = {}, by = 1): void {
    assert(by >= 0, "counters only go up");
    this.get(labels, () => ({ n: 0 })).n += by;
  }

  /**
   * Sets the total from a source that keeps its own running count (an engine
   * or transport counter read at scrape time). A source that restarts (an
   * engine swapped in by a snapshot) reads as a counter reset, which
   * Prometheus' rate() handles.
   */
  set(total: number, labels: Labels = {}): void {
    assert(total >= 0, "counter totals are not negative");
    this.get(labels, () => ({ n: 0 })).n = total;
  }

  value(labels: Labels = {}): number {
    return this.series.get(keyOf(labels, this.labelNames))?.value.n ?? 0;
  }

  /** One series, for a caller that counts it on every request: no key is built per count. */
  child(labels: Labels): { inc(by?: number): void } {
    const series = this.get(labels, () => ({ n: 0 }));
    return { inc: (by = 1) => void (series.n += by) };
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const s of this.series.values()) {
      out.push(`${this.name}${labelText(s.labels)} ${formatNumber(s.value.n)}`);
    }
  }
}

export class Gauge extends ScalarMetric {
  set(value: number, labels: Labels = {}): void {
    this.get(labels, () => ({ n: 0 })).n = value;
  }

  /** Removes every series (for gauges recomputed from scratch, e.g. per-follower lag). */
  clear(): void {
    this.series.clear();
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const s of this.series.values()) {
      out.push(`${this.name}${labelText(s.labels)} ${formatNumber(s.value.n)}`);
    }
  }
}

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends LabeledMetric<HistogramSeries> {
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: number[]) {
    super(name, help, labelNames);
    assert(bounds.length > 0, "a histogram needs buckets");
    for (let i = 1; i < bounds.length; i++) assert(bounds[i - 1] < bounds[i], "buckets ascend");
    this.#bounds = bounds;
  }

  observe(value: number, labels: Labels = {}): void {
    this.#add(this.get(labels, () => this.#empty()), value);
  }

  /** One series, for a caller that observes it on every request: no key is built per value. */
  child(labels: Labels): { observe(value: number): void } {
    const series = this.get(labels, () => this.#empty());
    return { observe: (value) => this.#add(series, value) };
  }

  #empty(): HistogramSeries {
    return { counts: this.#bounds.map(() => 0), sum: 0, count: 0 };
  }

  #add(s: HistogramSeries, value: number): void {
    for (let i = 0; i < this.#bounds.length; i++) if (value <= this.#bounds[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Copies of every series' counts. */
  values(): HistogramValue[] {
    return [...this.series.values()].map(({ labels, value: s }) => ({
      labels,
      bounds: this.#bounds,
      counts: [...s.counts],
      count: s.count,
    }));
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const { labels, value: s } of this.series.values()) {
      this.#bounds.forEach((b, i) => {
        out.push(`${this.name}_bucket${labelText(labels, ["le", formatNumber(b)])} ${s.counts[i]}`);
      });
      out.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(labels)} ${formatNumber(s.sum)}`);
      out.push(`${this.name}_count${labelText(labels)} ${s.count}`);
    }
  }
}

/** Exponential bucket bounds: start, start*factor, … (count of them). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();
  /** Called before rendering, to refresh gauges read from live state. */
  readonly #collectors: (() => void)[] = [];

  #add<M extends Metric>(metric: M): M {
    assert(!this.#metrics.has(metric.name), `metric ${metric.name} registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    bounds: number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, bounds));
  }

  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  /** Refreshes the gauges and totals read from live state (render does it too). */
  collect(): void {
    for (const collect of this.#collectors) collect();
  }

  /** A counter's or gauge's series as of the last collect(); [] for unknown names. */
  values(name: string): SeriesValue[] {
    const m = this.#metrics.get(name);
    return m instanceof ScalarMetric ? m.values() : [];
  }

  /** A histogram's series; [] for unknown names. */
  histogramValues(name: string): HistogramValue[] {
    const m = this.#metrics.get(name);
    return m instanceof Histogram ? m.values() : [];
  }

  render(): string {
    this.collect();
    const out: string[] = [];
    for (const m of this.#metrics.values()) m.render(out);
    return out.join("\n") + "\n";
  }
}
