/**
 * Safe defaults on the HTTP admin routes (src/server/http/admin_guard.ts) with auth off:
 * closed without a credential unless --http-admin-open, and never reachable by a request a
 * browser sends cross-site without a preflight (a form POST, an <img> GET), even opened.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/main.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { captureHost } from "../../helpers/capture_host.ts";
import { CLOSED_MESSAGE, NOT_SIMPLE_MESSAGE } from "../../../src/server/http/admin_guard.ts";
import { type AdminApi, createStatusApp } from "../../../src/server/http/status_app.ts";
import { MetricsRegistry } from "../../../src/server/metrics/registry.ts";

const STATUS = { id: 1, role: "leader" as const, term: 2, leader: 1, commitIndex: 5 };

function adminApp(o: { adminToken?: string; httpAdminOpen?: boolean }) {
  const calls: string[] = [];
  const admin: AdminApi = {
    addMember: (id, address) => Promise.resolve(calls.push(`add ${id} ${address}`)),
    removeMember: (id) => Promise.resolve(calls.push(`remove ${id}`)),
    transferLeader: (id) => Promise.resolve(calls.push(`transfer ${id}`)),
    snapshot: () => Promise.resolve(calls.push("snapshot")),
  };
  const app = createStatusApp({
    source: { status: () => ({ ...STATUS, appliedIndex: 5, members: [] }), healthy: () => true },
    metrics: new MetricsRegistry(),
    admin,
    ...o,
  });
  return { app, calls };
}

const MARKED = { "X-TinyKV-Admin": "1" };
const JSON_TYPE = { "Content-Type": "application/json" };
/** What a <form method=post> on another site sends: a simple request, no custom header. */
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

async function refused(res: Response, status: number, error: string | RegExp) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("Access-Control-Allow-Origin"), null, "no CORS headers");
  const message = (await res.json()).error;
  if (typeof error === "string") assert.equal(message, error);
  else assert.match(message, error);
}

test("admin guard: with no credential configured the admin routes are closed", async () => {
  const { app, calls } = adminApp({});
  for (const headers of [MARKED, JSON_TYPE, FORM, {}]) {
    await refused(
      await app.request("/admin/snapshot", { method: "POST", headers }),
      403,
      CLOSED_MESSAGE,
    );
  }
  const remove = await app.request("/admin/members/2", { method: "DELETE", headers: MARKED });
  await refused(remove, 403, CLOSED_MESSAGE);
  await refused(await app.request("/admin/snapshot"), 405, /POST or DELETE/);
  assert.equal((await app.request("/status")).status, 200, "the rest is open, as before");
  const odd = ["/admin%2Fsnapshot", "//admin/snapshot", "/admin/snapshot/", "/%61dmin/snapshot"];
  for (const path of [...odd, "/admin/./snapshot", "/x/../admin/snapshot", "/ADMIN/snapshot"]) {
    const res = await app.request(path, { method: "POST", headers: MARKED });
    assert.ok([403, 404].includes(res.status), `${path}: ${res.status}`);
  }
  assert.deepEqual(calls, []);
});

test("admin guard: --http-admin-open still refuses cross-site forms and images", async () => {
  const { app, calls } = adminApp({ httpAdminOpen: true });
  const post = (path: string, headers: Record<string, string>, body?: string) =>
    app.request(path, { method: "POST", headers, body });
  await refused(await post("/admin/snapshot", FORM, "x=1"), 403, NOT_SIMPLE_MESSAGE);
  await refused(
    await post("/admin/transfer-leader/2", { "Content-Type": "text/plain" }, "x"),
    403,
    NOT_SIMPLE_MESSAGE,
  );
  await refused(await post("/admin/members/4?address=h:1", {}), 403, NOT_SIMPLE_MESSAGE);
  const image = await app.request("/admin/transfer-leader/2", { headers: { Accept: "image/*" } });
  await refused(image, 405, /POST or DELETE/);
  assert.equal(image.headers.get("Allow"), "POST, DELETE");
  const preflight = await app.request("/admin/snapshot", {
    method: "OPTIONS",
    headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
  });
  await refused(preflight, 405, /POST or DELETE/);
  assert.deepEqual(calls, [], "nothing ran");
  assert.equal((await post("/admin/snapshot", MARKED)).status, 200);
  assert.equal((await post("/admin/transfer-leader/2", JSON_TYPE)).status, 200);
  const remove = await app.request("/admin/members/3", { method: "DELETE", headers: MARKED });
  assert.equal(remove.status, 200);
  assert.deepEqual(calls, ["snapshot", "transfer 2", "remove 3"]);
});

test("admin guard: with --admin-token, the token and a non-simple request", async () => {
  const { app, calls } = adminApp({ adminToken: "s3cret" });
  const post = (headers: Record<string, string>) =>
    app.request("/admin/snapshot", { method: "POST", headers });
  const missing = await post(MARKED);
  await refused(missing, 401, /admin token required/);
  assert.equal(missing.headers.get("WWW-Authenticate"), 'Bearer realm="tinykv"');
  const wrong = await post({ ...MARKED, Authorization: "Bearer s3cre" });
  await refused(wrong, 401, /admin token required/);
  assert.match(wrong.headers.get("WWW-Authenticate") ?? "", /invalid_token/);
  await refused(await post({ ...FORM, Authorization: "Bearer s3cret" }), 403, NOT_SIMPLE_MESSAGE);
  assert.deepEqual(calls, []);
  assert.equal((await post({ ...MARKED, Authorization: "Bearer s3cret" })).status, 200);
  assert.deepEqual(calls, ["snapshot"]);
});

test("admin guard: --http-admin-open with --admin-token or TINYKV_ADMIN_TOKEN is a usage error", async () => {
  for (
    const [args, env] of [
      [["--admin-token", "t"], {}],
      [[], { TINYKV_ADMIN_TOKEN: "t" }],
    ] as const
  ) {
    const host = captureHost(env);
    const code = await runCli(["--http-admin-open", ...args], host, getPlatform);
    assert.equal(code, 2);
    assert.match(host.err, /--http-admin-open cannot be combined with --admin-token/);
  }
});
