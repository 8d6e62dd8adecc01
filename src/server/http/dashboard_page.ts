import { DASHBOARD_LOGIN_SCRIPT } from "./dashboard_login.ts";

/**
 * GET /: the cluster dashboard, one self-contained page (inline CSS and JS,
 * nothing fetched from elsewhere: nodes often run on closed networks). It
 * polls GET /cluster every second and renders members, roles, terms,
 * indexes, lag, the leader, the regions (per node, and each one's range, size, leader and
 * replicas) and the leader changes this node saw. Elements a
 * test or script may read carry ids and data attributes (#leader[data-leader]).
 * The charts of the last minutes are drawn by dashboard_charts.ts.
 */
import { CHARTS_SCRIPT } from "./dashboard_charts.ts";

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TinyKV cluster</title>
<style>
  :root { --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --dim: #6b7385; --line: #e3e6ec;
    --ok: #1a7f37; --warn: #b35900; --bad: #c62828; --lead: #0b57d0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
    background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px;
    background: var(--ink); color: #fff; }
  header h1 { margin: 0; font-size: 18px; font-weight: 600; }
  header .sub { color: #b9c0cf; font-size: 13px; }
  #conn { margin-left: auto; font-size: 13px; }
  #conn.down { color: #ff8a80; }
  main { padding: 20px 24px; display: grid; gap: 20px; max-width: 1200px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
  .card, section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
  .card { padding: 12px 16px; }
  .card .k { color: var(--dim); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  .card .v { font-size: 22px; font-weight: 600; margin-top: 2px; }
  #leader { color: var(--lead); }
  section h2 { margin: 0; padding: 12px 16px; font-size: 15px;
    border-bottom: 1px solid var(--line); }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 8px 16px; border-bottom: 1px solid var(--line); }
  th { color: var(--dim); font-weight: 500; font-size: 12px; text-transform: uppercase; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr:last-child td { border-bottom: 0; }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
    border: 1px solid currentColor; }
  .role-leader { color: var(--lead); font-weight: 600; }
  .h-ok { color: var(--ok); } .h-catching-up, .h-no-leader { color: var(--warn); }
  .h-unreachable { color: var(--bad); }
  .dim { color: var(--dim); }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px;
    padding: 12px 16px; }
  figure { margin: 0; } figcaption { font-weight: 600; font-size: 13px; }
  figure svg { width: 100%; height: auto; display: block; font-size: 10px; fill: var(--dim); }
  svg .grid { stroke: var(--line); } svg .series { fill: none; stroke-width: 1.8;
    stroke-linecap: round; stroke-linejoin: round; }
  .legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; color: var(--dim); }
  .legend i { display: inline-block; width: 10px; height: 3px; margin-right: 4px;
    vertical-align: middle; }
  .bar { display: inline-block; height: 6px; background: var(--warn); border-radius: 3px;
    vertical-align: middle; margin-left: 6px; }
</style>
</head>
<body>
<header>
  <h1>TinyKV cluster</h1>
  <span class="sub">served by node <span id="viewed-from">?</span>, refreshed every second</span>
  <span id="conn">connecting…</span>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="k">Leader</div>
      <div class="v" id="leader" data-leader="">?</div></div>
    <div class="card"><div class="k">Term</div><div class="v" id="term">?</div></div>
    <div class="card"><div class="k">Members</div><div class="v" id="member-count">?</div></div>
    <div class="card"><div class="k">Healthy</div><div class="v" id="healthy-count">?</div></div>
    <div class="card"><div class="k">Leader changes seen</div>
      <div class="v" id="change-count">?</div></div>
    <div class="card"><div class="k">Revision</div><div class="v" id="revision">?</div></div>
    <div class="card"><div class="k">Compacted revision</div>
      <div class="v" id="compacted-revision">?</div></div>
    <div class="card"><div class="k">Leases</div><div class="v" id="lease-count">?</div></div>
    <div class="card"><div class="k">Active watches</div>
      <div class="v" id="watch-count">?</div></div>
  </div>
  <section>
    <h2>Last minutes <span class="dim">(this node's metrics, one sample a second)</span></h2>
    <div class="charts">
      <figure id="chart-requests" data-title="Requests per second by command and result">
        <figcaption>Requests/s by command · result <span class="dim">(errors dashed)</span>
        </figcaption><div class="plot"></div></figure>
      <figure id="chart-latency" data-title="Request latency p50 and p99">
        <figcaption>Latency p50 / p99 (ms)</figcaption><div class="plot"></div></figure>
      <figure id="chart-raft" data-title="Raft commit and apply rate">
        <figcaption>Raft commit / apply (entries/s)</figcaption><div class="plot"></div></figure>
      <figure id="chart-lag" data-title="Each follower's lag behind the leader">
        <figcaption>Follower lag (entries)</figcaption><div class="plot"></div></figure>
      <figure id="chart-storage" data-title="Write stalls, flushes and compactions">
        <figcaption>Write stalls, flushes, compactions (/s)</figcaption>
        <div class="plot"></div></figure>
    </div>
  </section>
  <section>
    <h2>Members</h2>
    <table>
      <thead><tr><th>Id</th><th>Address</th><th>Kind</th><th>Role</th><th class="num">Term</th>
        <th class="num">Commit</th><th class="num">Applied</th><th class="num">Match</th>
        <th class="num">Lag</th><th>Health</th></tr></thead>
      <tbody id="members"></tbody>
    </table>
  </section>
  <section>
    <h2>Regions <span class="dim">(as this node knows them; moves in progress:
      <span id="region-moves">none</span>)</span></h2>
    <table>
      <thead><tr><th>Node</th><th class="num">Regions</th><th class="num">Leading</th></tr></thead>
      <tbody id="region-nodes"></tbody>
    </table>
    <table>
      <thead><tr><th>Id</th><th>Range</th><th class="num">Size</th><th class="num">Keys</th>
        <th>Leader</th><th>Replicas</th></tr></thead>
      <tbody id="regions"></tbody>
    </table>
  </section>
  <section>
    <h2>Recent leader changes <span class="dim">(as seen by this node, newest first)</span></h2>
    <table>
      <thead><tr><th>Time</th><th class="num">Term</th><th>Leader</th></tr></thead>
      <tbody id="changes"></tbody>
    </table>
  </section>
</main>
<script>${DASHBOARD_LOGIN_SCRIPT}</script>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const show = (v) => (v === null || v === undefined ? "–" : String(v));

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function memberRow(m, leader) {
  const tr = document.createElement("tr");
  tr.dataset.member = String(m.id);
  tr.dataset.role = m.role || "unreachable";
  cell(tr, String(m.id) + (m.id === leader ? " ★" : ""));
  cell(tr, m.address);
  cell(tr, m.learner ? "learner" : "voter", "dim");
  cell(tr, show(m.role), "role-" + (m.role || "none"));
  cell(tr, show(m.term), "num");
  cell(tr, show(m.commitIndex), "num");
  cell(tr, show(m.appliedIndex), "num");
  cell(tr, show(m.matchIndex), "num");
  const lag = m.replicationLag !== null ? Math.max(m.replicationLag, m.lag || 0) : m.lag;
  const lagCell = cell(tr, show(lag), "num");
  if (lag) {
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = Math.min(80, 4 + Math.log2(1 + lag) * 6) + "px";
    lagCell.appendChild(bar);
  }
  const h = cell(tr, "");
  const pill = document.createElement("span");
  pill.className = "pill h-" + m.health;
  pill.textContent = m.health;
  if (m.error) pill.title = m.error;
  h.appendChild(pill);
  return tr;
}

function changeRow(c) {
  const tr = document.createElement("tr");
  cell(tr, new Date(Date.now() - c.agoMs).toLocaleTimeString() + " (" +
    Math.round(c.agoMs / 1000) + " s ago)");
  cell(tr, String(c.term), "num");
  cell(tr, c.leader === null ? "none" : "node " + c.leader, c.leader === null ? "dim" : "");
  return tr;
}

const quoted = (k) => JSON.stringify(k);
const bytes = (b) => b < 1024 ? b + " B" : b < 1048576 ? (b / 1024).toFixed(1) + " KiB"
  : (b / 1048576).toFixed(1) + " MiB";

/** Regions per node and leaders per node, then one row per region (GET /regions objects). */
function renderRegions(list) {
  const perNode = new Map();
  for (const r of list) {
    for (const p of r.replicas) {
      const n = perNode.get(p.id) || { held: 0, leading: 0 };
      n.held++;
      if (p.id === r.leader) n.leading++;
      perNode.set(p.id, n);
    }
  }
  $("region-nodes").replaceChildren(...[...perNode].sort((a, b) => a[0] - b[0]).map(([id, n]) => {
    const tr = document.createElement("tr");
    tr.dataset.node = String(id);
    cell(tr, "node " + id);
    cell(tr, String(n.held), "num");
    cell(tr, String(n.leading), "num");
    return tr;
  }));
  $("regions").replaceChildren(...list.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.region = String(r.id);
    cell(tr, String(r.id));
    cell(tr, "[" + quoted(r.start) + ", " + (r.end === null ? "+inf" : quoted(r.end)) + ")");
    cell(tr, bytes(r.approximateBytes), "num");
    cell(tr, String(r.approximateKeys), "num");
    cell(tr, r.leader === null ? "none" : "node " + r.leader, r.leader === null ? "dim" : "");
    cell(tr, r.replicas.map((p) => p.id + (p.role === "learner" ? " (learner)" : "") +
      (p.zone ? " @" + p.zone : "")).join(", "));
    return tr;
  }));
}

function render(v) {
  const leader = v.members.find((m) => m.id === v.leader);
  const el = $("leader");
  el.textContent = v.leader === null ? "none" : "node " + v.leader;
  el.title = leader ? leader.address : "";
  el.dataset.leader = v.leader === null ? "" : String(v.leader);
  $("term").textContent = String(v.term);
  $("viewed-from").textContent = String(v.viewedFrom);
  $("member-count").textContent = String(v.members.length);
  $("healthy-count").textContent =
    String(v.members.filter((m) => m.health === "ok").length) + " / " + v.members.length;
  $("change-count").textContent = String(v.leaderChanges.filter((c) => c.leader !== null).length);
  // The coordination API as this node sees it (its own status).
  $("revision").textContent = show(v.node.revision);
  $("compacted-revision").textContent = show(v.node.compactedRevision);
  $("lease-count").textContent = show(v.node.leases);
  $("watch-count").textContent = show(v.node.watches);
  $("members").replaceChildren(...v.members.map((m) => memberRow(m, v.leader)));
  const changes = v.leaderChanges.map(changeRow);
  if (changes.length === 0) {
    const tr = document.createElement("tr");
    cell(tr, "none yet", "dim");
    changes.push(tr);
  }
  $("changes").replaceChildren(...changes);
  if (v.regions) renderRegions(v.regions.regions);
}

async function refresh() {
  const conn = $("conn");
  try {
    const res = await fetch("/cluster", { cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    render(await res.json());
    conn.textContent = "updated " + new Date().toLocaleTimeString();
    conn.className = "";
  } catch (err) {
    conn.textContent = "cannot reach the node: " + (err && err.message ? err.message : err);
    conn.className = "down";
  } finally {
    setTimeout(refresh, 1000);
  }
}
refresh();
</script>
<script>${CHARTS_SCRIPT}</script>
</body>
</html>
`;
