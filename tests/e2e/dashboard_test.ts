/**
 * The dashboard in a real browser: Debian's chromium, driven by
 * playwright-core, against three processes of the compiled ./tinykv. The page
 * (served by a follower) must show the leader, follow a leadership transfer,
 * then follow an election after the new leader is killed, marking it
 * unreachable. Skips, saying why, when chromium or the binary is missing.
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

test("dashboard: a browser sees the leader, a transfer, and an election after a kill", {
  skip,
  timeout: 120_000,
}, async () => {
  const c = await BinaryCluster.start(3, ["--admin-token", "dashboard-test-admin"]);
  let browser: Browser | undefined;
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
    if (shot !== undefined && shot !== "") await page.screenshot({ path: shot, fullPage: true });
    await checkDashboardLogin(browser); // with an auth file: the sign-in form, then the data
  } catch (err) {
    throw new Error(`${err}\n${c.logs()}`);
  } finally {
    await browser?.close();
    await c.stop();
  }
});
