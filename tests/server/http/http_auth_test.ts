/**
 * The HTTP port with an auth file (src/server/http/http_auth.ts, token_route.ts): bearer
 * tokens from POST /auth/token on every route but the public ones, 401 with a Bearer
 * challenge for a missing, wrong or expired token, 403 on /admin/* for a user without the
 * admin role, the --admin-token as a static admin credential. In-process, with app.request.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Authenticator } from "../../../src/auth/authenticator.ts";
import {
  AUTH_PASSWORD_BYTES_MAX,
  AUTH_VERIFY_CONCURRENCY,
  AUTH_VERIFY_QUEUE_MAX,
  HTTP_AUTH_BODY_BYTES_MAX,
} from "../../../src/limits_ops.ts";
import { type AdminApi, createStatusApp } from "../../../src/server/http/status_app.ts";
import { MetricsRegistry } from "../../../src/server/metrics/registry.ts";
import { authFileOf } from "../../auth/auth_fixture.ts";

const STATUS = { id: 1, role: "leader", term: 2, leader: 1, commitIndex: 5, appliedIndex: 5 };
const TTL_MS = 60_000;
/** Found only in /cluster's answer: the page must not carry it. */
const CLUSTER_MARK = "cluster-data-7f3a";

async function authApp() {
  const clock = { nowMs: 1_000_000 };
  const auth = new Authenticator({
    file: await authFileOf(),
    wallMs: () => clock.nowMs,
    tokenTtlMs: TTL_MS,
  });
  const calls: string[] = [];
  const admin: AdminApi = {
    snapshot: () => Promise.resolve(calls.push("snapshot")),
    removeMember: (id) => Promise.resolve(calls.push(`remove ${id}`)),
  };
  const app = createStatusApp({
    source: { status: () => ({ ...STATUS, role: "leader", members: [] }), healthy: () => true },
    metrics: new MetricsRegistry(),
    cluster: () => Promise.resolve({ leader: 1, members: [], note: CLUSTER_MARK }),
    admin,
    adminToken: "static-admin-secret",
    auth,
  });
  const login = (body: unknown, contentType = "application/json") =>
    app.request("/auth/token", {
      method: "POST",
      headers: { "Content-Type": contentType },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const tokenOf = async (user: string, password: string) => {
    const res = await login({ user, password });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).token as string;
  };
  return { app, clock, calls, login, tokenOf };
}

const bearer = (token: string, extra: Record<string, string> = {}) => ({
  headers: { Authorization: `Bearer ${token}`, ...extra },
});

async function assertChallenge(res: Response, error: RegExp, invalidToken: boolean) {
  assert.equal(res.status, 401);
  const challenge = res.headers.get("WWW-Authenticate") ?? "";
  assert.match(challenge, /^Bearer realm="tinykv"/);
  assert.equal(challenge.includes('error="invalid_token"'), invalidToken);
  assert.match(res.headers.get("Content-Type") ?? "", /application\/json/);
  assert.match((await res.json()).error, error);
}

test("http auth: only /health, the login and the page are public; a token opens the rest", async () => {
  const { app, tokenOf } = await authApp();
  assert.equal((await app.request("/health")).status, 200);
  assert.equal((await app.request("/health", { method: "HEAD" })).status, 200);
  const page = await app.request("/");
  assert.equal(page.status, 200);
  assert.doesNotMatch(await page.text(), new RegExp(CLUSTER_MARK), "no data in the page");
  for (const path of ["/status", "/metrics", "/cluster", "/nope"]) {
    await assertChallenge(await app.request(path), /authentication required/, false);
  }
  const token = await tokenOf("reader", "readerpass");
  assert.match(token, /^tkv1:reader:\d+:[0-9a-f]{64}$/);
  const status = await app.request("/status", bearer(token));
  assert.equal(status.status, 200);
  assert.equal((await status.json()).commitIndex, 5);
  assert.equal((await (await app.request("/cluster", bearer(token))).json()).note, CLUSTER_MARK);
  assert.equal((await app.request("/metrics", bearer(token))).status, 200);
  assert.equal((await app.request("/nope", bearer(token))).status, 404);
  for (const bad of ["tkv1:reader:99999999999:00", "garbage", token.replace(/.$/, "x")]) {
    await assertChallenge(await app.request("/status", bearer(bad)), /invalid token/, true);
  }
  const basic = { headers: { Authorization: "Basic cmVhZGVyOnJlYWRlcnBhc3M=" } };
  await assertChallenge(await app.request("/status", basic), /authentication required/, false);
});

test("http auth: POST /auth/token refuses wrong passwords, unknown users and bad bodies", async () => {
  const { login } = await authApp();
  const wrong = await login({ user: "alice", password: "nope" });
  await assertChallenge(wrong, /wrong user name or password/, false);
  const ghost = await login({ user: "ghost", password: "alicepass" });
  await assertChallenge(ghost, /wrong user name or password/, false);
  const form = await login("user=alice&password=alicepass", "application/x-www-form-urlencoded");
  assert.equal(form.status, 415);
  assert.equal((await login("{not json")).status, 400);
  assert.equal((await login({ user: "alice" })).status, 400);
  assert.equal((await login({ user: "alice", password: "alicepass", admin: true })).status, 400);
  const huge = await login({ user: "alice", password: "p".repeat(HTTP_AUTH_BODY_BYTES_MAX) });
  assert.equal(huge.status, 413);
  const long = await login({ user: "alice", password: "p".repeat(AUTH_PASSWORD_BYTES_MAX + 1) });
  assert.equal(long.status, 400);
  assert.match((await long.json()).error, /password is over/);
  const ok = await login({ user: "alice", password: "alicepass" });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("Cache-Control"), "no-store");
  const body = await ok.json();
  assert.deepEqual(Object.keys(body).sort(), ["expiresAtMs", "token"]);
  assert.equal(body.expiresAtMs, 1_000_000 + TTL_MS);
});

test("http auth: past the bound of password checks under way, /auth/token says 503", async () => {
  const { login } = await authApp();
  // Three times the bound: checks finishing while the logins arrive free a few places.
  const over = 3 * (AUTH_VERIFY_CONCURRENCY + AUTH_VERIFY_QUEUE_MAX);
  // Distinct wrong passwords: simultaneous logins with one credential would share a check.
  const answers = await Promise.all(
    Array.from({ length: over }, (_, i) => login({ user: "alice", password: `wrong ${i}` })),
  );
  const busy = answers.filter((res) => res.status === 503);
  assert.ok(busy.length >= over / 2, `${busy.length} of ${over} refused`);
  assert.equal(busy[0].headers.get("Retry-After"), "1");
  assert.match((await busy[0].json()).error, /too many password checks/);
  assert.ok(answers.every((res) => res.status === 503 || res.status === 401));
});

test("http auth: an expired token is refused with a fresh challenge", async () => {
  const { app, clock, tokenOf } = await authApp();
  const token = await tokenOf("alice", "alicepass");
  assert.equal((await app.request("/status", bearer(token))).status, 200);
  clock.nowMs += TTL_MS;
  await assertChallenge(await app.request("/status", bearer(token)), /token expired/, true);
  const fresh = await tokenOf("alice", "alicepass");
  assert.equal((await app.request("/status", bearer(fresh))).status, 200);
});

test("http auth: /admin/* needs the admin role or the --admin-token, and the header", async () => {
  const { app, calls, tokenOf } = await authApp();
  const admin = { "X-TinyKV-Admin": "1" };
  const post = { method: "POST" };
  const snapshot = (init: RequestInit) => app.request("/admin/snapshot", { ...post, ...init });
  await assertChallenge(await snapshot({ headers: admin }), /authentication required/, false);
  const alice = await tokenOf("alice", "alicepass");
  const refused = await snapshot(bearer(alice, admin));
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error, /user 'alice' does not have the admin role/);
  const root = await tokenOf("admin", "adminpass");
  const form = bearer(root, { "Content-Type": "application/x-www-form-urlencoded" });
  assert.equal((await snapshot({ ...form, body: "a=1" })).status, 403);
  assert.equal((await app.request("/admin/snapshot", bearer(root))).status, 405);
  assert.deepEqual(calls, [], "nothing ran before the right credential");
  const ok = await snapshot(bearer(root, admin));
  assert.deepEqual(await ok.json(), { ok: true, result: 1 });
  const json = bearer("static-admin-secret", { "Content-Type": "application/json" });
  const removed = await app.request("/admin/members/3", { method: "DELETE", ...json });
  assert.equal(removed.status, 200);
  assert.equal((await app.request("/status", bearer("static-admin-secret"))).status, 200);
  assert.deepEqual(calls, ["snapshot", "remove 3"]);
});

test("http auth: POST /auth/token on a node without an auth file says auth is off", async () => {
  const app = createStatusApp({
    source: { status: () => ({ ...STATUS, role: "leader", members: [] }), healthy: () => true },
    metrics: new MetricsRegistry(),
  });
  const res = await app.request("/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: "a", password: "b" }),
  });
  assert.equal(res.status, 404);
  assert.match((await res.json()).error, /authentication is off/);
  assert.equal((await app.request("/status")).status, 200, "auth off: as before");
});
