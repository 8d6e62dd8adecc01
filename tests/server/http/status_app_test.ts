import { test } from "node:test";
import assert from "node:assert/strict";
import { type AdminApi, createStatusApp } from "../../../src/server/http/status_app.ts";
import type { NodeStatus } from "../../../src/server/node/status_types.ts";
import { MetricsRegistry } from "../../../src/server/metrics/registry.ts";

const status: NodeStatus = {
  id: 2,
  role: "follower",
  term: 5,
  leader: 1,
  commitIndex: 40,
  appliedIndex: 39,
  members: [{ id: 1, address: "127.0.0.1:7001", learner: false }],
};

function app(healthy: boolean, admin?: AdminApi, adminToken?: string) {
  const metrics = new MetricsRegistry();
  metrics.counter("tinykv_up_total", "Up.").inc();
  return createStatusApp({
    source: { status: () => status, healthy: () => healthy },
    metrics,
    admin,
    adminToken,
  });
}

test("status app: /status has the docs/design.md §3 fields; /metrics is Prometheus text", async () => {
  const res = await app(true).request("/status");
  assert.equal(res.status, 200);
  const body = await res.json();
  for (const field of ["id", "role", "term", "leader", "commitIndex", "appliedIndex", "members"]) {
    assert.ok(field in body, field);
  }
  assert.equal(body.role, "follower");
  const metrics = await app(true).request("/metrics");
  assert.match(metrics.headers.get("content-type") ?? "", /text\/plain; version=0.0.4/);
  assert.match(await metrics.text(), /tinykv_up_total 1/);
});

test("status app: /health is 200 when healthy and 503 when not; unknown paths are 404", async () => {
  assert.equal((await app(true).request("/health")).status, 200);
  assert.equal((await app(false).request("/health")).status, 503);
  assert.equal((await app(true).request("/nope")).status, 404);
});

test("status app: admin routes check the token and validate ids and addresses", async () => {
  const calls: string[] = [];
  const admin: AdminApi = {
    addMember: (id, address) => Promise.resolve(calls.push(`add ${id} ${address}`)),
    removeMember: (id) => Promise.reject(new Error(`cannot remove ${id}: would lose quorum`)),
    transferLeader: (id) => Promise.resolve(calls.push(`transfer ${id}`)),
    snapshot: () => Promise.resolve({ index: 10 }),
  };
  const a = app(true, admin, "s3cret");
  const auth = { headers: { Authorization: "Bearer s3cret", "X-TinyKV-Admin": "1" } };
  assert.equal((await a.request("/admin/snapshot", { method: "POST" })).status, 401);
  const snap = await a.request("/admin/snapshot", { method: "POST", ...auth });
  assert.deepEqual(await snap.json(), { ok: true, result: { index: 10 } });
  const add = "/admin/members/4?address=127.0.0.1:7004";
  assert.equal((await a.request(add, { method: "POST", ...auth })).status, 200);
  const badId = await a.request("/admin/members/x?address=h:1", { method: "POST", ...auth });
  assert.equal(badId.status, 400);
  const badAddr = await a.request("/admin/members/5?address=nope", { method: "POST", ...auth });
  assert.equal(badAddr.status, 400);
  const refused = await a.request("/admin/members/1", { method: "DELETE", ...auth });
  assert.equal(refused.status, 409);
  assert.match((await refused.json()).error, /would lose quorum/);
  await a.request("/admin/transfer-leader/3", { method: "POST", ...auth });
  assert.deepEqual(calls, ["add 4 127.0.0.1:7004", "transfer 3"]);
});

test("status app: the dashboard page and /cluster exist only with a cluster view", async () => {
  assert.equal((await app(true).request("/")).status, 404);
  assert.equal((await app(true).request("/cluster")).status, 404);
  const withView = createStatusApp({
    source: { status: () => status, healthy: () => true },
    metrics: new MetricsRegistry(),
    cluster: () => Promise.resolve({ leader: 1, members: [] }),
  });
  const page = await withView.request("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const html = await page.text();
  assert.match(html, /fetch\("\/cluster"/, "the page polls /cluster");
  assert.match(html, /id="leader" data-leader=""/);
  // Nothing loaded from elsewhere: the only absolute URL is the SVG namespace's name.
  assert.doesNotMatch(html, /\b(src|href)=|@import|url\(/);
  assert.deepEqual(html.match(/https?:\/\/[^"'\s]*/g), ["http://www.w3.org/2000/svg"]);
  assert.match(html, /fetch\("\/metrics\/history\?since="/, "the charts poll the history");
  for (const chart of ["requests", "latency", "raft", "lag", "storage"]) {
    assert.match(html, new RegExp(`<figure id="chart-${chart}"`), chart);
  }
  assert.deepEqual(await (await withView.request("/cluster")).json(), { leader: 1, members: [] });
});

test("status app: GET /metrics/history serves the sampler's JSON from ?since=", async () => {
  assert.equal((await app(true).request("/metrics/history")).status, 404);
  const asked: number[] = [];
  const withHistory = createStatusApp({
    source: { status: () => status, healthy: () => true },
    metrics: new MetricsRegistry(),
    history: (since) => {
      asked.push(since);
      return { intervalMs: 1000, samples: [{ seq: since + 1 }] };
    },
  });
  const all = await withHistory.request("/metrics/history");
  assert.equal(all.status, 200);
  assert.deepEqual(await all.json(), { intervalMs: 1000, samples: [{ seq: 1 }] });
  assert.equal((await withHistory.request("/metrics/history?since=41")).status, 200);
  for (const bad of ["-1", "x", "1.5"]) {
    const res = await withHistory.request(`/metrics/history?since=${bad}`);
    assert.equal(res.status, 400, bad);
    assert.deepEqual(await res.json(), { error: "since must be a whole number" });
  }
  assert.deepEqual(asked, [0, 41]);
  // Prometheus' endpoint is unchanged beside it.
  assert.equal((await withHistory.request("/metrics")).status, 200);
});
