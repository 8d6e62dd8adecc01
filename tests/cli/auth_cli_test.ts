/**
 * `tinykv user|role|auth` on an auth file in a temp directory, and client commands with
 * `--user` / TINYKV_PASSWORD against an in-process node with users on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { loadAuthFile } from "../../src/auth/load_auth_file.ts";
import { reloadAuthFile } from "../../src/auth/reload_auth_file.ts";
import { runCli } from "../../src/cli/main.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { startAuthCluster } from "../server/proto/auth_node.ts";

async function cli(env: Record<string, string>, args: string[], stdin?: string) {
  const host = captureHost(env);
  if (stdin !== undefined) Object.assign(host, { readStdin: () => Promise.resolve(utf8(stdin)) });
  const code = await runCli(args, host, getPlatform);
  return { code, out: host.out, err: host.err };
}

const FAST = ["--iterations", "10000"];

test("auth CLI: role and user add/list/passwd/set-roles/remove edit the file atomically", async () => {
  const dir = makeTempDir("tinykv-authcli-");
  const file = `${dir}/auth.json`;
  const f = ["--auth-file", file];
  try {
    const role = await cli({}, [
      "role",
      "add",
      "app-rw",
      ...f,
      "--readwrite",
      "app/",
      "--read",
      "",
    ]);
    assert.equal(role.code, 0, role.err);
    assert.equal((await cli({}, ["role", "add", "ops", ...f, "--admin"])).code, 0);
    const add = await cli({ TINYKV_PASSWORD: "s3cret" }, [
      "user",
      "add",
      "alice",
      ...f,
      "--roles",
      "app-rw",
      ...FAST,
    ]);
    assert.equal(add.code, 0, add.err);
    const piped = await cli({}, ["user", "add", "bob", ...f, "--password-stdin", ...FAST], "pw\n");
    assert.equal(piped.code, 0, piped.err);
    assert.deepEqual(fs.readdirSync(dir), ["auth.json"], "no temporary file left");
    const users = await cli({}, ["user", "list", ...f]);
    assert.equal(users.out, "alice\tapp-rw\nbob\t\n");
    const roles = await cli({}, ["role", "list", ...f, "--json"]);
    assert.deepEqual(JSON.parse(roles.out), {
      "app-rw": ["read:", "readwrite:app/"],
      ops: ["admin"],
    });
    const loaded = loadAuthFile(getPlatform().fs, file);
    assert.ok((loaded.tokenSecret ?? "").length >= 64, "a tokenSecret is created with the file");
    const auth = new Authenticator({ file: loaded, wallMs: () => Date.now() });
    assert.equal((await auth.authenticate("alice", "s3cret") as { user: string }).user, "alice");
    assert.equal(typeof await auth.authenticate("bob", "pw"), "object", "stdin line, no newline");
    const token = await cli({}, ["auth", "token", "--user", "alice", ...f]);
    assert.equal(token.code, 0, token.err);
    assert.equal(typeof await auth.verifyToken(token.out.trim()), "object");
    const passwd = await cli({ TINYKV_PASSWORD: "new" }, [
      "user",
      "passwd",
      "alice",
      ...f,
      ...FAST,
    ]);
    assert.equal(passwd.code, 0, passwd.err);
    assert.equal(reloadAuthFile(auth, getPlatform().fs, file), undefined);
    assert.equal(await auth.verifyToken(token.out.trim()), "invalid", "a new password revokes");
    assert.equal(await auth.authenticate("alice", "s3cret"), "wrong-password");
    assert.equal((await cli({}, ["user", "set-roles", "bob", "--roles", "ops", ...f])).code, 0);
    assert.equal((await cli({}, ["user", "remove", "alice", ...f])).code, 0);
    assert.equal((await cli({}, ["user", "list", ...f])).out, "bob\tops\n");
  } finally {
    removeTempDir(dir);
  }
});

test("auth CLI: usage errors exit 2, refused edits exit 1, each with one line", async () => {
  const dir = makeTempDir("tinykv-authcli-");
  const f = ["--auth-file", `${dir}/auth.json`];
  const pw = { TINYKV_PASSWORD: "x" };
  try {
    await cli({}, ["role", "add", "r", ...f, "--read", "a/"]);
    await cli(pw, ["user", "add", "u", ...f, "--roles", "r", ...FAST]);
    const cases: [Record<string, string>, string[], number, RegExp][] = [
      [{}, ["user", "list"], 2, /needs --auth-file/],
      [{}, ["user", "frob", ...f], 2, /unknown command 'user frob'/],
      [{}, ["user", "add", "v", ...f], 2, /TINYKV_PASSWORD/],
      [pw, ["user", "add", "u", ...f, ...FAST], 1, /user 'u' already exists/],
      [pw, ["user", "add", "w", ...f, "--roles", "nope", ...FAST], 1, /role 'nope' is not defined/],
      [pw, ["user", "add", "bad name", ...f], 1, /user 'bad name' must be/],
      [{}, ["role", "add", "r", ...f], 1, /already exists \(--replace/],
      [{}, ["role", "remove", "r", ...f], 1, /held by u/],
      [{}, ["user", "remove", "ghost", ...f], 1, /no user 'ghost'/],
      [{}, ["user", "list", "--auth-file", `${dir}/missing.json`], 1, /no such auth file/],
    ];
    for (const [env, args, code, pattern] of cases) {
      const r = await cli(env, args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, pattern);
      assert.equal(r.err.trim().split("\n").length, 1, r.err);
    }
    fs.writeFileSync(`${dir}/auth.json`, "{ not json");
    const bad = await cli({}, ["user", "list", ...f]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /not JSON/);
  } finally {
    removeTempDir(dir);
  }
});

test("auth CLI: put/get/status/snapshot with --user and TINYKV_PASSWORD; wrong password exits 1", async () => {
  const node = await startAuthCluster(1);
  try {
    await node.leaderIndex();
    const e = ["--endpoints", node.addresses[0]];
    const alice = { TINYKV_USER: "alice", TINYKV_PASSWORD: "alicepass" };
    assert.equal((await cli(alice, ["put", "app/k", "v", ...e])).code, 0);
    const got = await cli({}, ["get", "app/k", ...e, "--user", "alice", "--password", "alicepass"]);
    assert.equal(got.out, "v\n");
    const status = await cli(alice, ["status", ...e]);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /leader 1/);
    const wrong = await cli({ TINYKV_PASSWORD: "nope" }, ["get", "app/k", ...e, "--user", "alice"]);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.err,
      /^tinykv: authenticating as 'alice' at .*wrong user name or password\n$/,
    );
    const denied = await cli(alice, ["put", "public/k", "v", ...e]);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /^tinykv: user 'alice': no write permission on the key\n$/);
    const none = await cli({}, ["get", "app/k", ...e]);
    assert.match(none.err, /authentication required/);
    const admin = { TINYKV_USER: "admin", TINYKV_PASSWORD: "adminpass" };
    assert.equal((await cli(admin, ["snapshot", ...e])).code, 0);
    assert.match((await cli(alice, ["snapshot", ...e])).err, /needs the admin right/);
    const token = await cli(alice, ["auth", "token", "--user", "alice", ...e]);
    assert.match(token.out, /^tkv1:alice:\d+:[0-9a-f]{64}\n$/);
  } finally {
    await node.close();
  }
});
