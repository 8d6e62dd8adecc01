/**
 * The dashboard in a real browser: Debian's chromium, driven by
 * playwright-core, against three processes of the compiled ./tinykv. The page
 * (served by a follower) must show the leader, draw its charts from the
 * node's metrics history after some writes and reads (and the leader's page
 * its followers' lag), follow a leadership transfer, then follow an election
 * after the new leader is killed, marking it unreachable. Skips, saying why,
 * when chromium or the binary is missing; runs under bun only (it drives the
 * binary, the same under either runner).
 *
 *   TINYKV_CHROMIUM=/path/to/chromium   (default /usr/bin/chromium)
 *   TINYKV_SCREENSHOT=docs/dashboard.png  saves a screenshot of the final page
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import process from "node:process";
import { type Browser, chromium, type Page } from "playwright-core";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { checkDashboardLogin } from "./dashboard_login_check.ts";

const CHROMIUM = process.env.TINYKV_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
];
/** Generous: under load an election can take a few seconds. */
const WAIT_MS = 20_000;

function skipReason(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `chromium not found at ${CHROMIUM} (set TINYKV_CHROMIUM)`;
  if (!fs.existsSync(BINARY)) return `${BINARY} is missing: run ./compile.sh first`;
  return undefined;
}

const skip = skipReason();
if (skip !== undefined) console.log(`dashboard_test: skipped: ${skip}`);

async function leaderShown(page: Page, ok: (id: number) => boolean, what: string) {
  try {
    // A string expression: it runs in the page (this file is not type-checked with the DOM).
    const ids = JSON.stringify([1, 2, 3].filter(ok));
    await page.waitForFunction(
      `${ids}.includes(Number(document.getElementById("leader")?.dataset.leader))`,
      undefined,
      { timeout: WAIT_MS, polling: 100 },
    );
  } catch (err) {
    const shown = await page.locator("#leader").textContent();
    throw new Error(`page shows leader "${shown}", not ${what}: ${err}`);
  }
  return Number(await page.locator("#leader").getAttribute("data-leader"));
}

/**
 * Waits until chart `id` on the page has drawn series `series` and its highest value is above
 * 0: real samples from GET /metrics/history, not an empty frame.
 */
async function chartDrawn(page: Page, id: string, series: string): Promise<void> {
  const expr = `(() => { const f = document.getElementById(${JSON.stringify(id)});` +
    ` return f !== null && Number(f.dataset.peak) > 0 &&` +
    ` f.querySelector(${JSON.stringify(`path[data-series="${series}"]`)}) !== null; })()`;
  try {
    await page.waitForFunction(expr, undefined, { timeout: WAIT_MS, polling: 200 });
  } catch (err) {
    const legend = await page.locator(`#${id}`).innerText();
    throw new Error(`chart ${id} lacks a non-zero "${series}" (legend: ${legend}): ${err}`);
  }
}

/** Writes through the leader and serializable reads on the viewer, for the charts. */
async function load(c: BinaryCluster, leader: number, viewer: number): Promise<void> {
  const writer = c.client({}, [leader]);
  const reader = c.client({}, [viewer]);
  try {
    for (let i = 0; i < 100; i++) {
      await writer.put(`chart-${i}`, "x".repeat(100));
      await reader.get(`chart-${i}`, { consistency: "serializable" });
    }
  } finally {
    writer.close();
    reader.close();
  }
}

/**
 * Light traffic until stopped, so the charts show the transfer and the election too (the
 * screenshot in docs/operations.md): serializable reads on the viewer, writes wherever the
 * leader is. Errors are expected while there is no leader; they are charted, not thrown.
 */
function backgroundLoad(c: BinaryCluster, viewer: number): { stop(): Promise<void> } {
  const writer = c.client({ deadlineMs: 2_000 });
  const reader = c.client({ deadlineMs: 2_000 }, [viewer]);
  let running = true;
  const done = (async () => {
    for (let i = 0; running && i < 5_000; i++) {
      await Promise.allSettled([
        writer.put(`bg-${i % 100}`, "y"),
        reader.get(`bg-${i % 100}`, { consistency: "serializable" }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      if (!running) return;
      running = false;
      await done;
      writer.close();
      reader.close();
    },
  };
}

/** Moves leadership to `target`, retrying (bounded) if an election interferes under load. */
async function transferTo(c: BinaryCluster, target: number): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const leader = await c.leader(WAIT_MS);
    if (leader === target) return;
    const url = `http://127.0.0.1:${c.nodes.get(leader)?.httpPort}/admin/transfer-leader/${target}`;
    const res = await fetch(url, { method: "POST", headers: c.adminHeaders() });
    const body = await res.json();
    if (body.ok === true) return assert.deepEqual(body, { ok: true, result: { leader: target } });
    if (attempt === 3) throw new Error(`transfer to ${target} refused: ${JSON.stringify(body)}`);
  }
}

test("dashboard: a browser sees the leader, charts, a transfer, and an election after a kill", {
  skip: skip ?? BINARY_ONLY_SKIP,
  timeout: 120_000,
}, async () => {
  const c = await BinaryCluster.start(3, ["--admin-token", "dashboard-test-admin"]);
  let browser: Browser | undefined;
  let stopTraffic = () => Promise.resolve();
  try {
    const first = await c.leader(WAIT_MS);
    const [viewer, target] = [1, 2, 3].filter((id) => id !== first);
    assert.equal((await c.cli("put", "hello", "world")).code, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    await page.goto(`http://127.0.0.1:${c.nodes.get(viewer)?.httpPort}/`);
    assert.equal(await leaderShown(page, (id) => id === first, `node ${first}`), first);
    assert.equal(await page.locator("#members tr[data-member]").count(), 3);
    const leaderRow = page.locator(`#members tr[data-member="${first}"]`);
    assert.equal(await leaderRow.getAttribute("data-role"), "leader");
    // The regions panel (regions_json.ts): region 1 on every node, led by the leader.
    const region = page.locator('#regions tr[data-region="1"]');
    await region.waitFor({ state: "attached", timeout: WAIT_MS });
    assert.match(await region.innerText(), new RegExp(`node ${first}`));
    assert.equal(await page.locator("#region-nodes tr[data-node]").count(), 3);

    const leaderPage = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    await leaderPage.goto(`http://127.0.0.1:${c.nodes.get(first)?.httpPort}/`);
    await load(c, first, viewer);
    await chartDrawn(page, "chart-requests", "get_serializable · ok");
    await chartDrawn(page, "chart-raft", "commit");
    await chartDrawn(page, "chart-latency", "p99");
    await chartDrawn(leaderPage, "chart-requests", "write_put · ok");
    await chartDrawn(leaderPage, "chart-raft", "apply");
    // Lag is the leader's to know: one series per follower (drawn even when it is all zeros).
    for (const follower of [viewer, target]) {
      const lag = leaderPage.locator(`#chart-lag path[data-series="node ${follower}"]`);
      await lag.waitFor({ state: "attached", timeout: WAIT_MS });
    }
    await leaderPage.close();
    const traffic = backgroundLoad(c, viewer);
    stopTraffic = traffic.stop;

    await transferTo(c, target);
    assert.equal(await leaderShown(page, (id) => id === target, `node ${target}`), target);
    assert.match(await page.locator("#changes").innerText(), new RegExp(`node ${target}`));

    await c.kill(target, "SIGKILL");
    const next = await leaderShown(page, (id) => id !== target, "a new leader");
    assert.notEqual(next, target);
    await page.waitForFunction(
      `document.querySelector('#members tr[data-member="${target}"]')?.dataset.role` +
        ` === "unreachable"`,
      undefined,
      { timeout: WAIT_MS, polling: 100 },
    );
    const shot = process.env.TINYKV_SCREENSHOT;
    if (shot !== undefined && shot !== "") {
      // A few more seconds of traffic on the charts for the picture in the docs.
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      await page.screenshot({ path: shot, fullPage: true });
    }
    if (shot !== undefined && shot !== "") await page.screenshot({ path: shot, fullPage: true });
    await checkDashboardLogin(browser); // with an auth file: the sign-in form, then the data
  } catch (err) {
    throw new Error(`${err}\n${c.logs()}`);
  } finally {
    await stopTraffic();
    await browser?.close();
    await c.stop();
  }
});
