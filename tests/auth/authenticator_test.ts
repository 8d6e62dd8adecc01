import { test } from "node:test";
import assert from "node:assert/strict";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { BoundedCache } from "../../src/auth/bounded_cache.ts";
import { VerifyGate } from "../../src/auth/verify_gate.ts";
import {
  AUTH_PASSWORD_BYTES_MAX,
  AUTH_TOKEN_BYTES_MAX,
  AUTH_VERIFIED_CACHE_MAX,
  AUTH_VERIFY_CONCURRENCY,
  AUTH_VERIFY_QUEUE_MAX,
} from "../../src/limits_ops.ts";
import { authFileOf, STANDARD_USERS } from "./auth_fixture.ts";

function clock(start = 1_000_000) {
  const c = { now: start, wallMs: () => c.now };
  return c;
}

test("authenticator: right password gives the user's principal; wrong or unknown do not", async () => {
  const auth = new Authenticator({ file: await authFileOf(), wallMs: clock().wallMs });
  const p = await auth.authenticate("alice", "alicepass");
  assert.ok(typeof p === "object" && p.user === "alice");
  assert.equal(await auth.authenticate("alice", "wrong"), "wrong-password");
  assert.equal(await auth.authenticate("mallory", "alicepass"), "wrong-password");
  const again = await auth.authenticate("alice", "alicepass");
  assert.ok(typeof again === "object" && again.user === "alice", "a cached credential");
  assert.equal(
    await auth.authenticate("alice", "x".repeat(AUTH_PASSWORD_BYTES_MAX + 1)),
    "too-long",
  );
});

test("authenticator: tokens verify on another node with the same file, and expire", async () => {
  const file = await authFileOf();
  const c = clock();
  const a = new Authenticator({ file, wallMs: c.wallMs, tokenTtlMs: 60_000 });
  const b = new Authenticator({ file, wallMs: c.wallMs, tokenTtlMs: 60_000 });
  const issued = await a.issueToken("alice");
  assert.ok(issued !== undefined && issued.expiresAtMs === c.now + 60_000);
  const p = await b.verifyToken(issued.token);
  assert.ok(typeof p === "object" && p.user === "alice");
  assert.ok(typeof b.verifyTokenCached(issued.token) === "object", "seen before: no await");
  // Change the MAC's last character (to another one: it may already be "0").
  const tampered = issued.token.slice(0, -1) + (issued.token.endsWith("0") ? "1" : "0");
  assert.equal(await b.verifyToken(tampered), "invalid");
  assert.equal(await b.verifyToken(issued.token.replace("alice", "admin")), "invalid");
  assert.equal(await b.verifyToken("garbage"), "invalid");
  c.now += 60_000;
  assert.equal(await b.verifyToken(issued.token), "expired");
});

test("authenticator: a reload with a new password or without the user revokes tokens", async () => {
  const c = clock();
  const auth = new Authenticator({ file: await authFileOf(), wallMs: c.wallMs });
  const issued = (await auth.issueToken("alice"))!;
  assert.equal(typeof await auth.verifyToken(issued.token), "object");
  auth.reload(
    await authFileOf({ ...STANDARD_USERS, alice: { password: "new", roles: ["app-rw"] } }),
  );
  assert.equal(await auth.verifyToken(issued.token), "invalid", "password changed");
  assert.equal(await auth.authenticate("alice", "alicepass"), "wrong-password");
  assert.equal(typeof await auth.authenticate("alice", "new"), "object");
  const { alice: _gone, ...rest } = STANDARD_USERS;
  auth.reload(await authFileOf(rest));
  assert.equal(await auth.authenticate("alice", "new"), "wrong-password", "user removed");
  assert.equal(auth.principal("alice"), undefined);
});

test("authenticator: without a shared secret, tokens are the node's own", async () => {
  const file = await authFileOf(undefined, undefined, null);
  const a = new Authenticator({ file, wallMs: clock().wallMs });
  const b = new Authenticator({ file, wallMs: clock().wallMs });
  const issued = (await a.issueToken("reader"))!;
  assert.equal(typeof await a.verifyToken(issued.token), "object");
  assert.equal(await b.verifyToken(issued.token), "invalid");
});

test("verify gate: at most the concurrency runs, the queue is bounded, then busy", async () => {
  const gate = new VerifyGate();
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const check = () =>
    new Promise<boolean>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      releases.push(() => {
        running--;
        resolve(true);
      });
    });
  const total = AUTH_VERIFY_CONCURRENCY + AUTH_VERIFY_QUEUE_MAX;
  const runs = Array.from({ length: total }, () => gate.run(check));
  assert.equal(await gate.run(check), "busy");
  for (let i = 0; i < total; i++) {
    await new Promise((r) => setTimeout(r, 0));
    assert.ok(releases.length > 0, "a queued check starts when a slot frees");
    releases.shift()!();
  }
  assert.deepEqual(new Set(await Promise.all(runs)), new Set([true]));
  assert.equal(peak, AUTH_VERIFY_CONCURRENCY);
});

test("authenticator: a token longer than AUTH_TOKEN_BYTES_MAX is refused as invalid", async () => {
  const auth = new Authenticator({ file: await authFileOf(), wallMs: clock().wallMs });
  const issued = (await auth.issueToken("alice"))!;
  assert.ok(issued.token.length <= AUTH_TOKEN_BYTES_MAX);
  const padded = `${issued.token}${"0".repeat(AUTH_TOKEN_BYTES_MAX)}`;
  assert.equal(await auth.verifyToken(padded), "invalid");
});

test("bounded cache: past its bound the oldest entry is forgotten, a re-set moves to the end", () => {
  const cache = new BoundedCache<string, number>(3);
  for (const [k, v] of [["a", 1], ["b", 2], ["c", 3]] as const) cache.set(k, v);
  cache.set("a", 10); // now the newest
  cache.set("d", 4); // forgets b, the oldest
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual(["a", "c", "d"].map((k) => cache.get(k)), [10, 3, 4]);
  assert.ok(AUTH_VERIFIED_CACHE_MAX >= 1, "the authenticator's caches use this bound");
});
