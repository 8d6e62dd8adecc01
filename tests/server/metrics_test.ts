import { test } from "node:test";
import assert from "node:assert/strict";
import { exponentialBuckets, MetricsRegistry } from "../../src/server/metrics/registry.ts";

test("MetricsRegistry renders counters, gauges and histograms in Prometheus text format", () => {
  const r = new MetricsRegistry();
  const requests = r.counter("tinykv_requests_total", "Requests served.", ["command", "result"]);
  const term = r.gauge("tinykv_raft_term", "Current term.");
  const latency = r.histogram("tinykv_latency_seconds", "Latency.", ["op"], [0.001, 0.01]);
  requests.inc({ command: "get", result: "ok" });
  requests.inc({ command: "get", result: "ok" }, 2);
  requests.inc({ command: "set", result: 'bad "quote"\n' });
  r.onCollect(() => term.set(7));
  latency.observe(0.0005, { op: "put" });
  latency.observe(0.005, { op: "put" });
  latency.observe(5, { op: "put" });
  const text = r.render();
  assert.match(text, /# TYPE tinykv_requests_total counter/);
  assert.match(text, /tinykv_requests_total\{command="get",result="ok"\} 3/);
  assert.match(text, /result="bad \\"quote\\"\\n"\} 1/);
  assert.match(text, /tinykv_raft_term 7/);
  assert.match(text, /tinykv_latency_seconds_bucket\{op="put",le="0.001"\} 1/);
  assert.match(text, /tinykv_latency_seconds_bucket\{op="put",le="0.01"\} 2/);
  assert.match(text, /tinykv_latency_seconds_bucket\{op="put",le="\+Inf"\} 3/);
  assert.match(text, /tinykv_latency_seconds_count\{op="put"\} 3/);
  assert.equal(requests.value({ command: "get", result: "ok" }), 3);
});

test("MetricsRegistry refuses bad names, duplicate metrics and wrong labels", () => {
  const r = new MetricsRegistry();
  assert.throws(() => r.counter("bad-name", "x"));
  r.counter("a_total", "x", ["l"]);
  assert.throws(() => r.counter("a_total", "x"));
  const c = r.counter("b_total", "x", ["l"]);
  assert.throws(() => c.inc({ other: "1" }));
  assert.throws(() => c.inc({ l: "1" }, -1));
  assert.deepEqual(exponentialBuckets(1, 2, 4), [1, 2, 4, 8]);
});

test("Counter.set takes a running total read from a source at scrape time", () => {
  const r = new MetricsRegistry();
  const fsyncs = r.counter("tinykv_x_fsyncs_total", "Fsyncs.");
  let total = 5;
  r.onCollect(() => fsyncs.set(total));
  assert.match(r.render(), /# TYPE tinykv_x_fsyncs_total counter\ntinykv_x_fsyncs_total 5\n/);
  total = 9;
  assert.match(r.render(), /tinykv_x_fsyncs_total 9\n/);
  assert.throws(() => fsyncs.set(-1));
});

test("a metric's child counts into the same series as calls with its labels", () => {
  const reg = new MetricsRegistry();
  const c = reg.counter("t_requests_total", "Requests.", ["op"]);
  const h = reg.histogram("t_seconds", "Latency.", ["op"], [0.1, 1]);
  const ok = c.child({ op: "get" });
  ok.inc();
  ok.inc(2);
  c.inc({ op: "get" });
  assert.equal(c.value({ op: "get" }), 4);
  h.child({ op: "get" }).observe(0.5);
  h.observe(0.05, { op: "get" });
  const [series] = h.values();
  assert.deepEqual(series.counts, [1, 2]);
  assert.equal(series.count, 2);
  assert.throws(() => c.child({ nope: "x" }), /unknown label|wrong label count/);
});
