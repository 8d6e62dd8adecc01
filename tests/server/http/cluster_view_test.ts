/**
 * The operability surface of a live in-process 3-node cluster: /metrics
 * (every metric has HELP and TYPE and is documented), /cluster and the
 * dashboard page, and `tinykv status` through the CLI entry point.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runCli } from "../../../src/cli/main.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { captureHost } from "../../helpers/capture_host.ts";
import type { ClusterJson } from "../../../src/server/http/cluster_view.ts";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "../../..");

function httpPort(c: TestCluster, id: number): number {
  const port = c.servers.get(id)?.httpPort;
  assert.ok(port !== undefined, `node ${id} serves HTTP`);
  return port;
}

async function get(c: TestCluster, id: number, route: string): Promise<Response> {
  return await fetch(`http://127.0.0.1:${httpPort(c, id)}${route}`);
}

/** Sample values by series text, e.g. `tinykv_raft_role{role="leader"}`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function value(s: Map<string, number>, series: string): number {
  const v = s.get(series);
  assert.ok(v !== undefined, `missing ${series}`);
  return v;
}

test("node /metrics: Raft, storage and server metrics, each with HELP, TYPE and docs", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const leader = await c.leader();
    const kv = c.client();
    for (let i = 0; i < 20; i++) await kv.put(`k${i}`, "v");
    assert.equal(await kv.get("k3").then((v) => v?.length), 1);
    // A write commits with one follower; give the other a moment (bounded) to catch up.
    const followers = [1, 2, 3].filter((id) => id !== leader);
    let text = await (await get(c, leader, "/metrics")).text();
    for (let i = 0; i < 50; i++) {
      const s = samples(text);
      const matched = followers.map((p) => s.get(`tinykv_raft_follower_match_index{peer="${p}"}`));
      if (matched.every((m) => (m ?? 0) >= 20)) break;
      await new Promise((r) => setTimeout(r, 100));
      text = await (await get(c, leader, "/metrics")).text();
    }
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
    const doc = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
    for (const [name, type] of names) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, "m"), name);
      assert.match(name, /^tinykv_[a-z0-9_]+$/, name);
      if (type === "counter") assert.match(name, /_total$/, `${name} is a counter`);
      assert.ok(doc.includes(`\`${name}\``), `${name} is documented in docs/operations.md`);
    }
    assert.ok(names.length >= 35, `${names.length} metrics`);
    const s = samples(text);
    assert.equal(value(s, `tinykv_raft_role{role="leader"}`), 1);
    assert.equal(value(s, "tinykv_raft_leader_id"), leader);
    assert.ok(value(s, `tinykv_raft_elections_total{event="won"}`) >= 1);
    assert.ok(value(s, `tinykv_raft_proposals_total{result="proposed"}`) >= 20);
    assert.ok(value(s, `tinykv_raft_proposals_total{result="committed"}`) >= 20);
    // Not one per write: the leader's fsync overlaps replication (a write can commit on the
    // followers' acks while it runs, and the next write's entry joins the fsync after it), and
    // the count covers every group's log and vote saves of the node too.
    assert.ok(value(s, "tinykv_raft_log_fsyncs_total") >= 1);
    assert.ok(value(s, `tinykv_requests_total{op="write_put",result="ok"}`) >= 20);
    assert.ok(value(s, `tinykv_open_connections{port="protobuf"}`) >= 1);
    assert.equal(value(s, `tinykv_storage_write_backpressure{state="none"}`), 1);
    assert.ok(s.has(`tinykv_storage_level_files{level="0"}`));
    assert.ok(s.has("tinykv_storage_scan_steps_total"));
    // Values under 512 B stay in the tables: blob files reported, none yet.
    assert.equal(value(s, "tinykv_storage_blob_files"), 0);
    assert.equal(value(s, `tinykv_storage_blob_bytes{kind="dead"}`), 0);
    assert.equal(value(s, "tinykv_storage_blob_collections_total"), 0);
    for (const peer of [1, 2, 3].filter((id) => id !== leader)) {
      assert.ok(value(s, `tinykv_raft_follower_match_index{peer="${peer}"}`) >= 20);
      assert.ok(s.has(`tinykv_raft_follower_lag_entries{peer="${peer}"}`));
    }
    assert.ok(!s.has(`tinykv_raft_follower_match_index{peer="${leader}"}`), "followers only");
  } finally {
    await c.close();
  }
});

test("node /metrics: snapshots sent and received, messages dropped to a stopped peer", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, 20, 25);
  try {
    const kv = c.client();
    for (let i = 0; i < 10; i++) await kv.put(`s${i}`, "v");
    const leader = await c.leader();
    const victim = [1, 2, 3].find((id) => id !== leader) ?? 0;
    await c.stop(victim);
    for (let i = 10; i < 100; i++) await kv.put(`s${i}`, "v");
    c.wipe(victim);
    await c.start(victim);
    const target = c.servers.get(leader)?.node.status().commitIndex ?? 0;
    const node = c.servers.get(victim)?.node;
    for (let i = 0; i < 400 && (node?.kv.appliedIndex ?? 0) < target; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const lead = samples(await (await get(c, leader, "/metrics")).text());
    assert.ok(value(lead, `tinykv_raft_snapshots_sent_total{result="ok"}`) >= 1);
    assert.ok(
      value(lead, `tinykv_raft_dropped_messages_total{reason="connection_lost"}`) >= 1,
      "messages queued to the stopped peer were dropped when connecting failed",
    );
    const follower = samples(await (await get(c, victim, "/metrics")).text());
    assert.ok(value(follower, `tinykv_raft_snapshots_received_total{result="ok"}`) >= 1);
    assert.equal(value(follower, `tinykv_raft_snapshots_received_total{result="failed"}`), 0);
  } finally {
    await c.close();
  }
});

test("/cluster and the dashboard: every member, the leader, lag and leader changes", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const leader = await c.leader();
    await c.client().put("a", "1");
    const follower = [1, 2, 3].find((id) => id !== leader) ?? 0;
    const page = await get(c, follower, "/");
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const html = await page.text();
    assert.match(html, /<title>TinyKV cluster<\/title>/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, "self-contained");
    // The third member may still be applying the put when it is acknowledged: bounded wait.
    let view: ClusterJson = await (await get(c, follower, "/cluster")).json();
    for (let i = 0; i < 50 && view.members.some((m) => m.health !== "ok"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = await (await get(c, follower, "/cluster")).json();
    }
    assert.equal(view.viewedFrom, follower);
    assert.equal(view.leader, leader);
    assert.deepEqual(view.members.map((m) => m.health), ["ok", "ok", "ok"]);
    assert.equal(view.members.find((m) => m.id === leader)?.role, "leader");
    assert.equal(view.leaderChanges[0]?.leader, leader, "the follower saw the election");
    const fromLeader: ClusterJson = await (await get(c, leader, "/cluster")).json();
    const other = fromLeader.members.find((m) => m.id === follower);
    assert.ok((other?.matchIndex ?? 0) >= 2, "the leader adds match indexes");
    const down = [1, 2, 3].find((id) => id !== leader && id !== follower) ?? 0;
    await c.stop(down);
    let after: ClusterJson | undefined;
    for (let i = 0; i < 50 && after?.members.find((m) => m.id === down)?.reachable !== false; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await (await get(c, follower, "/cluster")).json();
    }
    const row = after?.members.find((m) => m.id === down);
    assert.equal(row?.health, "unreachable");
    assert.ok((row?.error ?? "").length > 0);
  } finally {
    await c.close();
  }
});

test("tinykv status: one row per member, unreachable ones marked, --json, exit codes", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const leader = await c.leader();
    const endpoints = [...c.peers.values()].join(",");
    const run = async (...args: string[]) => {
      const host = captureHost();
      const code = await runCli(["status", ...args], host, getPlatform);
      return { code, out: host.out, err: host.err };
    };
    const ok = await run("--endpoints", endpoints);
    assert.equal(ok.code, 0, ok.err);
    const lines = ok.out.trimEnd().split("\n");
    assert.match(
      lines[0],
      new RegExp(`^leader ${leader}, term \\d+, 3 members, 3 reachable; cluster [0-9a-f]{16}$`),
    );
    assert.equal(lines.length, 8, ok.out);
    // Then a line sums up the regions: one today, led by the leader (regions_command.ts), and
    // the last one the placement service (its leader, each node's last heartbeat).
    assert.match(lines[6], new RegExp(`^regions 1 \\(leaders: node ${leader} ×1\\), .+, 0 keys$`));
    assert.match(lines[7], /^placement leader [123]; nodes 1 [\d.]+s, 2 [\d.]+s, 3 [\d.]+s /);
    assert.match(ok.out, new RegExp(`\\n${leader}\\s+127\\.0\\.0\\.1:\\d+\\s+leader\\s`));
    const down = leader === 3 ? 2 : 3;
    await c.stop(down);
    const json = await run("--json", "--endpoints", c.peers.get(leader) ?? "");
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out);
    assert.equal(parsed.leader, leader);
    const row = parsed.members.find((m: { id: number }) => m.id === down);
    assert.equal(row.health, "unreachable");
    assert.equal(row.reachable, false);
    const none = await run("--endpoints", c.peers.get(down) ?? "");
    assert.equal(none.code, 1);
    assert.match(none.err, /^tinykv: no node answered \(/);
    assert.equal((await run("extra")).code, 2);
  } finally {
    await c.close();
  }
});
