/**
 * The metrics history of a real node (in-process): the sampler reads the metric names
 * node_metrics.ts and metered_service.ts register, so a renamed metric would leave a chart
 * empty. After writes and reads, GET /metrics/history must show them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type {
  MetricsHistoryJson,
  MetricsSample,
} from "../../../src/server/metrics/metrics_history.ts";
import { startCluster } from "../cluster_helpers.ts";

test("metrics history: a node's GET /metrics/history shows its requests, Raft and latency", {
  timeout: 30_000,
}, async () => {
  const c = await startCluster(1);
  try {
    const client = c.client();
    for (let i = 0; i < 20; i++) {
      await client.put(`h${i}`, "x");
      await client.get(`h${i}`);
    }
    const url = `http://127.0.0.1:${c.servers.get(1)?.httpPort}/metrics/history`;
    const fetchHistory = async (since = 0) =>
      await (await fetch(`${url}?since=${since}`)).json() as MetricsHistoryJson;
    // Rates times intervals add back up to the counts (rates are rounded to 0.01/s).
    const total = (h: MetricsHistoryJson, pick: (s: MetricsSample) => number) =>
      h.samples.reduce((n, s) => n + pick(s) * s.seconds, 0);
    const puts = (s: MetricsSample) => s.requests["write_put/ok"] ?? 0;
    const gets = (s: MetricsSample) => s.requests["get/ok"] ?? 0;
    const both = (s: MetricsSample) => puts(s) + gets(s);
    let history = await fetchHistory();
    // A sample a second: wait for the first taken after the last request.
    for (let attempt = 0; attempt < 40 && total(history, both) < 39.5; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      history = await fetchHistory();
    }
    const sum = (pick: (s: MetricsSample) => number) => total(history, pick);
    assert.equal(history.capacity, 600);
    assert.ok(Math.abs(sum(puts) - 20) < 0.5, JSON.stringify(history));
    assert.ok(Math.abs(sum(gets) - 20) < 0.5);
    const busy = history.samples.filter((s) => puts(s) > 0);
    assert.ok(sum((s) => s.commitPerSec) >= 20);
    assert.ok(sum((s) => s.applyPerSec) >= 20);
    assert.ok(busy.every((s) => s.p50Ms !== null && s.p99Ms !== null && s.p50Ms <= s.p99Ms));
    assert.deepEqual(busy[0].lag, {}, "a single node has no followers");
    const newer = await fetchHistory(busy[0].seq);
    assert.ok(newer.samples.length >= busy.length - 1);
    assert.ok(newer.samples.every((s) => s.seq > busy[0].seq));
  } finally {
    await c.close();
  }
});
