/**
 * The dashboard of a node with an auth file, in the browser dashboard_test.ts already runs:
 * the page loads with no data, its first poll meets a 401 and shows the sign-in form; a wrong
 * password is refused on the form, the right one gets a token (kept in sessionStorage) and
 * the page then shows the cluster. One in-process node, so it adds about a second.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { startServer } from "../../src/server/server.ts";
import { authFileOf } from "../auth/auth_fixture.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { FAST_ELECTIONS, freePorts } from "../server/cluster_helpers.ts";

const WAIT_MS = 20_000; // as the dashboard test: a loaded machine renders slowly

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.fill("#login-user", user);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
}

export async function checkDashboardLogin(browser: Browser): Promise<void> {
  const platform = getPlatform();
  const [kvPort] = await freePorts(1);
  const dir = makeTempDir("tinykv-dashboard-auth-");
  const auth = new Authenticator({ file: await authFileOf(), wallMs: () => Date.now() });
  const server = await startServer(platform, {
    id: 1,
    peers: new Map([[1, `127.0.0.1:${kvPort}`]]),
    dataDir: dir,
    httpPort: 0,
    auth,
    ...FAST_ELECTIONS,
  });
  const page = await browser.newPage();
  try {
    const url = `http://127.0.0.1:${server.httpPort}/`;
    const first = await page.goto(url);
    assert.equal(first?.status(), 200, "the page itself loads without a token");
    await page.waitForSelector("#login-user", { timeout: WAIT_MS });
    assert.equal(await page.locator("#leader").getAttribute("data-leader"), "", "no data yet");
    await signIn(page, "reader", "wrong password");
    await page.waitForFunction(
      `/wrong user name or password/.test(document.getElementById("login-error").textContent)`,
      undefined,
      { timeout: WAIT_MS, polling: 100 },
    );
    await signIn(page, "reader", "readerpass");
    await page.waitForFunction(
      `document.getElementById("leader").dataset.leader === "1"`,
      undefined,
      { timeout: WAIT_MS, polling: 100 },
    );
    assert.equal(await page.locator("#members tr[data-member]").count(), 1);
    assert.equal(await page.locator("#login").isVisible(), false, "the form is gone");
    const token = await page.evaluate(`sessionStorage.getItem("tinykv.dashboard.token")`);
    assert.match(String(token), /^tkv1:reader:/);
  } finally {
    await page.close();
    await server.close();
    removeTempDir(dir);
  }
}
