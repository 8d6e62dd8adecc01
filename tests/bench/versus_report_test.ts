/** The pure parts of bench:versus: reading the tools' output and formatting the table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatMeasured,
  formatRatio,
  parseEtcdLoadLine,
  parseRedisBenchmarkCsv,
  renderTable,
} from "../../bench/versus/report.ts";

// redis-benchmark 7.0 --csv, as printed (progress lines on a terminal end in \r and are dropped).
const CSV = [
  '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",' +
  '"p99_latency_ms","max_latency_ms"',
  '"SET","52631.58","0.604","0.056","0.535","1.207","2.911","3.079"',
  '"GET","60606.06","0.511","0.096","0.503","0.727","0.879","1.791"',
].join("\n");

test("redis-benchmark --csv: rps and p99 by test name", () => {
  const rows = parseRedisBenchmarkCsv("GET: rps=1000.0\r" + CSV + "\n");
  assert.deepEqual(rows.get("SET"), { perSecond: 52631.58, p99Ms: 2.911 });
  assert.deepEqual(rows.get("GET"), { perSecond: 60606.06, p99Ms: 0.879 });
  assert.equal(rows.size, 2);
});

test("redis-benchmark --csv: empty or headerless output gives no rows", () => {
  assert.equal(parseRedisBenchmarkCsv("").size, 0);
  assert.equal(parseRedisBenchmarkCsv('"SET","1"\n').size, 0);
});

test("the etcd loader's summary line", () => {
  const line = "ops=9876 seconds=2.00 rate=4938.0 p50_ms=1.20 p99_ms=23.50 errors=2\n";
  assert.deepEqual(parseEtcdLoadLine(line), { perSecond: 4938, p99Ms: 23.5, errors: 2 });
  assert.throws(() => parseEtcdLoadLine("connect: refused"), /no rate=/);
});

test("numbers, p99 and ratios as the table shows them", () => {
  assert.equal(formatMeasured({ perSecond: 12345.6, p99Ms: 23.4 }), "12,346/s, p99 23 ms");
  assert.equal(formatMeasured({ perSecond: 978, p99Ms: 2.345 }), "978/s, p99 2.3 ms");
  assert.equal(formatMeasured(undefined), "—");
  assert.equal(formatRatio({ perSecond: 1000 }, { perSecond: 1210 }), "1.21×");
  assert.equal(formatRatio(undefined, { perSecond: 1 }), "—");
  assert.equal(formatRatio({ perSecond: 0 }, { perSecond: 1 }), "—");
});

test("the table: one line per row, notes numbered under it", () => {
  const text = renderTable([
    {
      workload: "w1",
      anchor: "a",
      anchorResult: { perSecond: 100 },
      tinykvResult: { perSecond: 50 },
      tinykvTool: "t",
    },
    { workload: "w2", anchor: "etcd", tinykvTool: "—", note: "etcd rows skipped: missing" },
  ]);
  const lines = text.split("\n");
  assert.equal(lines[2], "| w1 | a | 100/s | 50/s (t) | 0.50× |");
  assert.equal(lines[3], "| w2 [1] | etcd | — | — | — |");
  assert.equal(lines.at(-1), "[1] etcd rows skipped: missing");
});
