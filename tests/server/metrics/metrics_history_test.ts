import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { METRICS_HISTORY_SAMPLES } from "../../../src/limits.ts";
import { MetricsHistory, parseSince } from "../../../src/server/metrics/metrics_history.ts";
import { MetricsRegistry } from "../../../src/server/metrics/registry.ts";
import { SampleRing } from "../../../src/server/metrics/sample_ring.ts";

test("sample ring: keeps the newest `capacity` samples, oldest first, and pages by seq", () => {
  const ring = new SampleRing<{ seq: number }>(3);
  assert.deepEqual(ring.since(0), []);
  for (let seq = 1; seq <= 5; seq++) ring.push({ seq });
  assert.equal(ring.size, 3);
  assert.deepEqual(ring.since(0).map((s) => s.seq), [3, 4, 5]);
  assert.deepEqual(ring.since(4).map((s) => s.seq), [5]);
  assert.deepEqual(ring.since(5), []);
  assert.throws(() => new SampleRing(0));
});

/** A registry with the metrics the history reads, driven by hand. */
function node() {
  const r = new MetricsRegistry();
  const requests = r.counter("tinykv_requests_total", "Requests.", ["op", "result"]);
  const latency = r.histogram("tinykv_request_duration_seconds", "Latency.", ["op"], [
    0.001,
    0.002,
    0.004,
  ]);
  const commit = r.gauge("tinykv_raft_commit_index", "Commit.");
  const applied = r.gauge("tinykv_raft_applied_index", "Applied.");
  const lag = r.gauge("tinykv_raft_follower_lag_entries", "Lag.", ["peer"]);
  const stalls = r.counter("tinykv_storage_write_stalls_total", "Stalls.", ["kind"]);
  const compactions = r.counter("tinykv_storage_compactions_total", "Compactions.");
  const live = { commit: 0, lag: new Map<string, number>(), stops: 0, compactions: 0 };
  // As node_metrics.ts does: live state copied into the registry when it collects.
  r.onCollect(() => {
    commit.set(live.commit);
    applied.set(live.commit);
    lag.clear();
    for (const [peer, n] of live.lag) lag.set(n, { peer });
    stalls.set(live.stops, { kind: "stop" });
    compactions.set(live.compactions);
  });
  return { r, requests, latency, live };
}

test("metrics history: one sample a second of rates, percentiles, lag and stalls", () => {
  const clock = new SimClock();
  const { r, requests, latency, live } = node();
  const history = new MetricsHistory(r, clock);
  history.start(); // the first reading: nothing to compare with yet
  assert.deepEqual(history.json().samples, []);
  for (let i = 0; i < 20; i++) {
    requests.inc({ op: "get", result: "ok" });
    latency.observe(0.0015, { op: "get" });
  }
  requests.inc({ op: "write_put", result: "not_leader" }, 2);
  latency.observe(0.003, { op: "write_put" });
  live.commit = 50;
  live.lag.set("2", 7);
  live.stops = 3;
  clock.advance(1000);
  const [first] = history.json().samples;
  assert.deepEqual(first.requests, { "get/ok": 20, "write_put/not_leader": 2 });
  assert.equal(first.p50Ms, 1.525); // rank 10.5 of the 20 in (1 ms, 2 ms]
  assert.equal(first.p99Ms, 3.58); // rank 20.79: 0.79 of the one in (2 ms, 4 ms]
  assert.equal(first.commitPerSec, 50);
  assert.equal(first.applyPerSec, 50);
  assert.deepEqual(first.lag, { "2": 7 });
  assert.equal(first.storage.stopPerSec, 3);
  assert.equal(first.seq, 1);
  assert.equal(first.seconds, 1);

  // A quiet second, then a second with a compaction; the node lost its leadership.
  clock.advance(1000);
  live.compactions = 1;
  live.lag.clear();
  clock.advance(1000);
  const [, quiet, third] = history.json().samples;
  assert.deepEqual(quiet.requests, {});
  assert.equal(quiet.p50Ms, null);
  assert.equal(quiet.commitPerSec, 0);
  assert.equal(third.storage.compactionsPerSec, 1);
  assert.deepEqual(third.lag, {});
  assert.deepEqual(history.json(2).samples.map((s) => s.seq), [3]);
  history.stop();
  clock.advance(5000);
  assert.equal(history.json().samples.length, 3);
  assert.equal(clock.pendingTimers(), 0);
});

test("metrics history: bounded samples and series; a restarted total is not negative", () => {
  const clock = new SimClock();
  const { r, requests, live } = node();
  const history = new MetricsHistory(r, clock, 4, 3);
  history.start();
  for (let second = 1; second <= 6; second++) {
    for (let op = 0; op < 5; op++) requests.inc({ op: `op${op}`, result: "ok" }, op + 1);
    clock.advance(1000);
  }
  const json = history.json();
  assert.equal(json.capacity, 4);
  assert.deepEqual(json.samples.map((s) => s.seq), [3, 4, 5, 6]);
  // Five series, at most three kept: the two largest and the rest summed.
  assert.deepEqual(json.samples[3].requests, { "op4/ok": 5, "op3/ok": 4, other: 6 });
  live.stops = 10;
  clock.advance(1000);
  live.stops = 2; // an engine swapped in by a snapshot starts its totals again
  clock.advance(500);
  history.sample(); // between two timer samples
  const last = history.json().samples.at(-1);
  assert.equal(last?.storage.stopPerSec, 4); // 2 stalls in half a second
  assert.equal(last?.seconds, 0.5);
  history.stop();
  assert.equal(new MetricsHistory(r, clock).capacity, METRICS_HISTORY_SAMPLES);
});

test("metrics history: a reading that throws leaves a gap and the sampling goes on", () => {
  const clock = new SimClock();
  const { r, requests } = node();
  let broken = false;
  r.onCollect(() => {
    if (broken) throw new Error("engine closed");
  });
  const history = new MetricsHistory(r, clock);
  history.start();
  clock.advance(1000);
  broken = true;
  clock.advance(2000); // two seconds fail
  broken = false;
  clock.advance(1000); // a new first reading
  requests.inc({ op: "get", result: "ok" }, 3);
  clock.advance(1000);
  assert.equal(history.failures, 2);
  const samples = history.json().samples;
  assert.deepEqual(samples.map((s) => s.seq), [1, 2]);
  assert.deepEqual(samples[1].requests, { "get/ok": 3 });
  assert.equal(samples[1].atMs - samples[0].atMs, 4000);
  history.stop();
});

test("metrics history: ?since= is a whole number or absent", () => {
  assert.equal(parseSince(undefined), 0);
  assert.equal(parseSince(""), 0);
  assert.equal(parseSince("42"), 42);
  for (const bad of ["-1", "1.5", "x", "1e3", "9".repeat(16)]) {
    assert.equal(parseSince(bad), undefined, bad);
  }
});
