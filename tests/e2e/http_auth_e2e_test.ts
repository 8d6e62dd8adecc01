/**
 * The HTTP port of the compiled ./tinykv, as anyone who can reach it would try it with curl:
 * on a node started with default flags the admin routes refuse every unauthenticated request
 * (a form POST, an <img> GET, a DELETE, a marked POST) and nothing changes — not the
 * membership, the log, nor the snapshot on disk; on a node with --auth-file, a missing token
 * and a wrong password get 401, a user without the admin role 403, and an admin's token
 * takes the snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { authFileText } from "../auth/auth_fixture.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";

const skip = BINARY_ONLY_SKIP || (fs.existsSync(BINARY) ? false : `${BINARY} is missing`);
const MARKED = { "X-TinyKV-Admin": "1" };

function httpOf(c: BinaryCluster): string {
  return `http://127.0.0.1:${c.nodes.get(1)?.httpPort}`;
}

/** Waits (bounded) for GET /health, public on every node, to say 200. */
async function healthy(c: BinaryCluster): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${httpOf(c)}/health`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node never became healthy\n${c.logs()}`);
}

/** What an admin request could change: the membership, the log, the Raft files on disk. */
async function stateOf(c: BinaryCluster, headers: Record<string, string> = {}) {
  const status = await (await fetch(`${httpOf(c)}/status`, { headers })).json();
  const raftDir = path.join(c.nodes.get(1)?.dataDir ?? "", "raftlog");
  const { members, term, leader, commitIndex, snapshotIndex } = status;
  const files = fs.readdirSync(raftDir).sort();
  return { members, term, leader, commitIndex, snapshotIndex, files };
}

/** The JSON answers of the routes used here. */
interface Answer {
  error?: string;
  token?: string;
  ok?: boolean;
  result?: { index: number };
}

async function send(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() as Answer };
}

test("e2e: HTTP admin routes without a credential change nothing; auth on HTTP", {
  skip,
  timeout: 60_000,
}, async () => {
  const dir = makeTempDir("tinykv-http-auth-");
  const authFile = path.join(dir, "auth.json");
  fs.writeFileSync(authFile, await authFileText());
  const plain = await BinaryCluster.start(1);
  const authed = await BinaryCluster.start(1, ["--auth-file", authFile]);
  try {
    await Promise.all([healthy(plain), healthy(authed)]);
    const before = await stateOf(plain);
    const http = httpOf(plain);
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const attempts: [string, RequestInit][] = [
      ["/admin/snapshot", { method: "POST", headers: form, body: "x=1" }],
      ["/admin/snapshot", { method: "POST", headers: MARKED }],
      ["/admin/transfer-leader/1", {}],
      ["/admin/members/1", { method: "DELETE", headers: MARKED }],
      ["/admin/members/2?address=127.0.0.1:9", { method: "POST", headers: MARKED }],
    ];
    for (const [route, init] of attempts) {
      const res = await send(`${http}${route}`, init);
      assert.ok([403, 405].includes(res.status), `${route}: ${JSON.stringify(res)}`);
      assert.equal(typeof res.body.error, "string");
    }
    assert.deepEqual(await stateOf(plain), before, "nothing changed");

    const auth = httpOf(authed);
    const noToken = await fetch(`${auth}/status`);
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
    await noToken.body?.cancel();
    const login = (user: string, password: string) =>
      send(`${auth}/auth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user, password }),
      });
    assert.equal((await login("admin", "not the password")).status, 401);
    const reader = (await login("reader", "readerpass")).body.token ?? "";
    const asReader = { Authorization: `Bearer ${reader}` };
    const start = await stateOf(authed, asReader);
    const denied = await send(`${auth}/admin/snapshot`, {
      method: "POST",
      headers: { ...asReader, ...MARKED },
    });
    assert.deepEqual(denied, {
      status: 403,
      body: { error: "user 'reader' does not have the admin role" },
    });
    assert.deepEqual(await stateOf(authed, asReader), start);
    const admin = (await login("admin", "adminpass")).body.token ?? "";
    const snap = await send(`${auth}/admin/snapshot`, {
      method: "POST",
      headers: { Authorization: `Bearer ${admin}`, ...MARKED },
    });
    assert.equal(snap.body.ok, true, JSON.stringify(snap));
    const compacted = (await stateOf(authed, asReader)).snapshotIndex;
    assert.equal(compacted, snap.body.result?.index, "the log was compacted at the answered index");
  } catch (err) {
    throw new Error(`${err}\n${plain.logs()}\n${authed.logs()}`);
  } finally {
    await plain.stop();
    await authed.stop();
    removeTempDir(dir);
  }
});
