/**
 * The dashboard's charts (dashboard_page.ts inlines this script): it polls
 * GET /metrics/history every second, asking only for samples newer than the
 * ones it has, and draws each chart as an inline SVG line chart. Plain
 * browser JavaScript in a string, so the binary serves it with no build step
 * and no external script. A test or script may read each chart's
 * `figure[data-peak]` (its highest value) and `path[data-series]`.
 */
export const CHARTS_SCRIPT = `
"use strict";
(() => {
const NS = "http://www.w3.org/2000/svg";
const W = 560, H = 170, LEFT = 46, RIGHT = 8, TOP = 8, BOTTOM = 20;
const PALETTE = ["#0b57d0", "#1a7f37", "#b35900", "#8e24aa", "#00838f", "#c62828",
  "#6d4c41", "#546e7a", "#f9a825", "#2e7d32"];
const kept = { samples: [], lastSeq: 0, nowMs: 0, capacity: 600, intervalMs: 1000 };

function line(name, pick) {
  return { name, values: kept.samples.map((s) => [s.atMs, pick(s)]) };
}

/** One series per key seen in the window; a sample without the key reads as "missing". */
function keyed(pick, missing, label) {
  const names = new Set();
  for (const s of kept.samples) for (const k of Object.keys(pick(s))) names.add(k);
  return [...names].sort().map((k) => ({
    name: label(k),
    dashed: k.includes("/") && !k.endsWith("/ok"),
    values: kept.samples.map((s) => [s.atMs, k in pick(s) ? pick(s)[k] : missing]),
  }));
}

const CHARTS = [
  { id: "chart-requests", unit: "req/s", series: () =>
    keyed((s) => s.requests, 0, (k) => k.replace("/", " · ")) },
  { id: "chart-latency", unit: "ms", series: () =>
    [line("p50", (s) => s.p50Ms), line("p99", (s) => s.p99Ms)] },
  { id: "chart-raft", unit: "entries/s", series: () =>
    [line("commit", (s) => s.commitPerSec), line("apply", (s) => s.applyPerSec)] },
  { id: "chart-lag", unit: "entries", empty: "no followers' lag: shown on the leader's page",
    series: () => keyed((s) => s.lag, null, (k) => "node " + k) },
  { id: "chart-storage", unit: "/s", series: () => [
    line("stall: slowdown", (s) => s.storage.slowdownPerSec),
    line("stall: stop", (s) => s.storage.stopPerSec),
    line("stall: memtable", (s) => s.storage.memtableStallPerSec),
    line("flushes", (s) => s.storage.flushesPerSec),
    line("compactions", (s) => s.storage.compactionsPerSec)] },
];

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (v >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (v >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (v >= 100) return v.toFixed(0);
  return String(Math.round(v * 100) / 100);
}

/** A round axis top at or above v: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function ago(seconds) {
  if (seconds === 0) return "now";
  return seconds % 60 === 0 ? "-" + seconds / 60 + " min" : "-" + Math.round(seconds) + " s";
}

/** The time axis: the data's age, at least 30 s, at most the whole ring. */
function spanSeconds() {
  const oldest = kept.samples.length ? (kept.nowMs - kept.samples[0].atMs) / 1000 : 0;
  const most = kept.capacity * kept.intervalMs / 1000;
  const steps = [30, 60, 120, 300, 600, most];
  return Math.min(most, steps.find((s) => s >= oldest) || most);
}

function axes(svg, top, span) {
  const y = (v) => TOP + (H - TOP - BOTTOM) * (1 - v / top);
  for (const v of [0, top / 2, top]) {
    svg.appendChild(el("line", { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: "grid" }));
    svg.appendChild(el("text", { x: LEFT - 4, y: y(v) + 4, "text-anchor": "end" }, fmt(v)));
  }
  // Time ticks on round numbers of seconds or minutes, at most six of them.
  const step = [5, 10, 30, 60, 120].find((t) => span / t <= 6) || span / 4;
  for (let ageS = 0; ageS <= span; ageS += step) {
    const x = W - RIGHT - (W - LEFT - RIGHT) * ageS / span;
    const anchor = ageS === 0 ? "end" : ageS + step > span ? "start" : "middle";
    svg.appendChild(el("text", { x, y: H - 5, "text-anchor": anchor }, ago(ageS)));
  }
  return y;
}

/**
 * "M x y L x y ..." with a new "M" after each missing value or missing sample, so gaps stay
 * gaps; a lone point gets a tiny segment, which the round line cap draws as a dot.
 */
function pathOf(values, x, y) {
  let d = "", run = 0, lastT = -Infinity;
  for (const [t, v] of values) {
    const gap = v === null || v === undefined || t - lastT > 2.5 * kept.intervalMs;
    if (gap && run === 1) d += "h0.1 ";
    if (gap) run = 0;
    lastT = t;
    if (v === null || v === undefined) continue;
    d += (run === 0 ? "M" : "L") + x(t).toFixed(1) + " " + y(v).toFixed(1) + " ";
    run++;
  }
  return (run === 1 ? d + "h0.1" : d).trim();
}

function draw(chart) {
  const fig = document.getElementById(chart.id);
  if (!fig) return;
  const series = chart.series().filter((s) => s.values.some(([, v]) => v !== null));
  const peak = Math.max(0, ...series.flatMap((s) => s.values.map(([, v]) => v || 0)));
  const span = spanSeconds();
  const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" });
  svg.appendChild(el("title", {}, fig.dataset.title + " (" + chart.unit + ")"));
  const y = axes(svg, niceMax(peak), span);
  const x = (t) => W - RIGHT - (W - LEFT - RIGHT) * Math.min(1, (kept.nowMs - t) / 1000 / span);
  const legend = document.createElement("div");
  legend.className = "legend";
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const d = pathOf(s.values, x, y);
    if (d !== "") {
      const path = el("path", { d, class: "series", stroke: color, "data-series": s.name });
      if (s.dashed) path.setAttribute("stroke-dasharray", "5 3");
      svg.appendChild(path);
    }
    const key = document.createElement("span");
    const last = s.values.length ? s.values[s.values.length - 1][1] : null;
    key.innerHTML = '<i style="background:' + color + '"></i>';
    key.append(s.name + " " + fmt(last));
    legend.appendChild(key);
  });
  if (series.length === 0) {
    svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "none" },
      kept.samples.length ? chart.empty || "none in this window" : "collecting…"));
  }
  fig.dataset.peak = String(peak);
  fig.dataset.series = String(series.length);
  fig.querySelector(".plot").replaceChildren(svg, legend);
}

async function poll() {
  try {
    const res = await fetch("/metrics/history?since=" + kept.lastSeq, { cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const h = await res.json();
    // A node that restarted numbers its samples from 1 again, on a new clock.
    if (h.nowMs < kept.nowMs) Object.assign(kept, { samples: [], lastSeq: 0 });
    Object.assign(kept, { nowMs: h.nowMs, capacity: h.capacity, intervalMs: h.intervalMs });
    kept.samples.push(...h.samples);
    kept.samples.splice(0, Math.max(0, kept.samples.length - kept.capacity));
    if (kept.samples.length) kept.lastSeq = kept.samples[kept.samples.length - 1].seq;
    CHARTS.forEach(draw);
  } catch (err) {
    // The cluster poll reports the connection; the charts keep their last picture.
  } finally {
    setTimeout(poll, 1000);
  }
}
poll();
})();
`;
