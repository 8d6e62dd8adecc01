/**
 * The side-by-side table of `bench:versus`: one row per workload, the anchor's number next to
 * TinyKV's, and their ratio. Pure functions, so the formatting and the parsing of the tools'
 * output are unit-tested (tests/bench/versus_report_test.ts).
 */

/** One measurement: throughput, and the 99th percentile latency when the tool reports it. */
export interface Measured {
  readonly perSecond: number;
  readonly p99Ms?: number;
}

/** A workload measured on the anchor and on TinyKV; `undefined` is a side that did not run. */
export interface VersusRow {
  readonly workload: string;
  readonly anchor: string;
  readonly anchorResult?: Measured;
  readonly tinykvResult?: Measured;
  /** How TinyKV was driven (`tinykv bench`, `redis-benchmark`); "—" for a skipped row. */
  readonly tinykvTool: string;
  /** Why a side is missing, or what the anchor number means. */
  readonly note?: string;
}

/** 12345.6 → "12,346/s", with the p99 when known. */
export function formatMeasured(m: Measured | undefined): string {
  if (m === undefined) return "—";
  const rate = `${Math.round(m.perSecond).toLocaleString("en-US")}/s`;
  return m.p99Ms === undefined ? rate : `${rate}, p99 ${formatMs(m.p99Ms)} ms`;
}

function formatMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms.toFixed(1);
}

/** TinyKV over the anchor, as "1.21×"; "—" when either side is missing or zero. */
export function formatRatio(anchor: Measured | undefined, tinykv: Measured | undefined): string {
  if (anchor === undefined || tinykv === undefined || anchor.perSecond <= 0) return "—";
  return `${(tinykv.perSecond / anchor.perSecond).toFixed(2)}×`;
}

/** The markdown table, then one numbered note per row that has one. */
export function renderTable(rows: readonly VersusRow[]): string {
  const out = [
    "| workload | anchor | anchor result | TinyKV result | ratio |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  const notes: string[] = [];
  for (const r of rows) {
    let mark = "";
    if (r.note !== undefined) {
      notes.push(`[${notes.length + 1}] ${r.note}`);
      mark = ` [${notes.length}]`;
    }
    const tool = r.tinykvTool === "—" ? "" : ` (${r.tinykvTool})`;
    const tinykv = `${formatMeasured(r.tinykvResult)}${tool}`;
    const ratio = formatRatio(r.anchorResult, r.tinykvResult);
    out.push(
      `| ${r.workload}${mark} | ${r.anchor} | ${formatMeasured(r.anchorResult)} | ${tinykv} | ` +
        `${ratio} |`,
    );
  }
  return [...out, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

/**
 * redis-benchmark `--csv` output: a header line naming the columns, then one line per test,
 * every field quoted. Returns the tests by name (upper case, e.g. "SET").
 */
export function parseRedisBenchmarkCsv(text: string): Map<string, Measured> {
  const lines = text.split(/[\r\n]+/).map((l) => l.trim()).filter((l) => l.startsWith('"'));
  const result = new Map<string, Measured>();
  if (lines.length === 0) return result;
  const header = splitCsvLine(lines[0]);
  const rps = header.indexOf("rps");
  const p99 = header.indexOf("p99_latency_ms");
  if (rps < 0) return result;
  for (const line of lines.slice(1)) {
    const fields = splitCsvLine(line);
    const perSecond = Number(fields[rps]);
    if (fields.length !== header.length || !Number.isFinite(perSecond)) continue;
    const p99Ms = p99 < 0 ? undefined : Number(fields[p99]);
    const name = fields[0].split(" ")[0].toUpperCase();
    result.set(name, { perSecond, ...(Number.isFinite(p99Ms) ? { p99Ms } : {}) });
  }
  return result;
}

/** `"a","b c","1.5"` → ["a", "b c", "1.5"] (redis-benchmark never quotes a quote). */
function splitCsvLine(line: string): string[] {
  return line.split('","').map((f) => f.replace(/^"/, "").replace(/"$/, ""));
}

/**
 * The summary line of bench/versus/etcd_load (the Go clientv3 loader):
 * `ops=12345 seconds=5.00 rate=2469.0 p50_ms=1.2 p99_ms=3.4 errors=0`.
 */
export function parseEtcdLoadLine(text: string): Measured & { errors: number } {
  const fields = new Map<string, number>();
  for (const m of text.matchAll(/(\w+)=([\d.]+)/g)) fields.set(m[1], Number(m[2]));
  const rate = fields.get("rate");
  if (rate === undefined) throw new Error(`no rate= in the etcd loader's output: ${text.trim()}`);
  const p99 = fields.get("p99_ms");
  return {
    perSecond: rate,
    errors: fields.get("errors") ?? 0,
    ...(p99 === undefined ? {} : { p99Ms: p99 }),
  };
}
