/**
 * The compiled binary's RESP port with `--auth-file` (docs/resp.md, "Users and permissions"),
 * driven by the tools people point at Redis: redis-cli with `--user/--pass` and `-a`, a wrong
 * password, no password and a user without the right, each refused with Redis's error and
 * allowed with the right credential; redis-benchmark logged in; and the HTTP smuggling request
 * of issue 13 sent with curl, which must change nothing. One three-node cluster for every case:
 * a follower checks the rights itself before it forwards a write to the leader.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { authFileText } from "../auth/auth_fixture.ts";
import { BinaryCluster } from "./binary_cluster.ts";

function run(tool: string, args: string[]): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ out: `${stdout}${stderr}`, code });
    });
  });
}

const skip = BINARY_ONLY_SKIP;
let cluster: BinaryCluster | undefined;
let dir = "";
/** The leader's RESP port, and a follower's (which forwards writes to the leader). */
let port = 0;
let follower = 0;

before(async () => {
  if (skip) return;
  dir = makeTempDir("tinykv-resp-auth-e2e-");
  const file = path.join(dir, "auth.json");
  fs.writeFileSync(file, await authFileText());
  cluster = await BinaryCluster.start(3, ["--auth-file", file]);
  const leader = await cluster.leader();
  port = cluster.nodes.get(leader)?.respPort ?? 0;
  follower = [...cluster.nodes].find(([id]) => id !== leader)?.[1].respPort ?? 0;
});

after(async () => {
  await cluster?.stop();
  if (dir !== "") removeTempDir(dir);
});

/** redis-cli against the leader: `login` are its auth options, then the command. */
function cli(login: string[], ...command: string[]): Promise<string> {
  return cliAt(port, login, ...command);
}

async function cliAt(at: number, login: string[], ...command: string[]): Promise<string> {
  const args = ["-p", String(at), "--no-auth-warning", ...login, ...command];
  return (await run("redis-cli", args)).out.trim();
}

const ALICE = ["--user", "alice", "--pass", "alicepass"];

test("binary RESP auth: redis-cli is refused without the right credential, allowed with it", {
  skip,
  timeout: 60_000,
}, async () => {
  assert.equal(await cli(ALICE, "SET", "app/k", "v"), "OK");
  assert.equal(await cli(ALICE, "GET", "app/k"), "v");
  assert.equal(await cli(["-a", "defaultpass"], "SET", "public/k", "w"), "OK");
  assert.equal(await cli([], "GET", "app/k"), "NOAUTH Authentication required.");
  const wrong = await cli(["--user", "alice", "--pass", "wrong"], "GET", "app/k");
  assert.match(
    wrong,
    /AUTH failed: WRONGPASS invalid username-password pair or user is disabled\./,
  );
  assert.match(wrong, /^NOAUTH Authentication required\.$/m);
  const reader = ["--user", "reader", "--pass", "readerpass"];
  assert.equal(await cli(reader, "GET", "app/k"), "v");
  assert.equal(
    await cli(reader, "SET", "app/k", "x"),
    "NOPERM this user has no permissions to access one of the keys used as arguments",
  );
  assert.equal(
    await cli(ALICE, "CONFIG", "SET", "maxmemory", "0"),
    "NOPERM this user has no permissions to run the 'config|set' command",
  );
  assert.equal(await cli(["--user", "admin", "--pass", "adminpass"], "DBSIZE"), "2");
  assert.equal(await cli(ALICE, "ACL", "WHOAMI"), "alice");
});

test("binary RESP auth: a follower checks rights before forwarding a write to the leader", {
  skip,
  timeout: 60_000,
}, async () => {
  const reader = ["--user", "reader", "--pass", "readerpass"];
  assert.equal(await cliAt(follower, ALICE, "SET", "app/via-follower", "1"), "OK");
  assert.equal(await cli(ALICE, "GET", "app/via-follower"), "1");
  assert.equal(
    await cliAt(follower, reader, "SET", "app/via-follower", "2"),
    "NOPERM this user has no permissions to access one of the keys used as arguments",
  );
  assert.equal(
    await cliAt(follower, [], "SET", "app/via-follower", "3"),
    "NOAUTH Authentication required.",
  );
  assert.equal(await cli(ALICE, "GET", "app/via-follower"), "1");
});

test("binary RESP auth: redis-benchmark logged in as a user runs SET and GET on its keys", {
  skip,
  timeout: 120_000,
}, async () => {
  const base = ["-p", String(port), "--user", "alice", "-a", "alicepass", "-n", "2000", "-q"];
  const results: string[] = [];
  for (const command of [["SET", "app/__rand_int__", "v"], ["GET", "app/__rand_int__"]]) {
    const { out, code } = await run("redis-benchmark", [...base, "-r", "1000", "-e", ...command]);
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /NOAUTH|NOPERM|WRONGPASS/, out);
    results.push(...out.split(/[\r\n]+/).filter((l) => / requests per second/.test(l)));
  }
  assert.equal(results.length, 2, results.join("\n"));
});

test("binary RESP auth: an HTTP request smuggling commands to the RESP port changes nothing", {
  skip,
  timeout: 60_000,
}, async () => {
  const url = `http://127.0.0.1:${port}/`;
  const smuggled = "\r\nAUTH admin adminpass\r\nSET pwned yes\r\n";
  await run("curl", ["-s", "-m", "5", "-X", "POST", "--data-binary", smuggled, url]);
  assert.equal(await cli(["--user", "admin", "--pass", "adminpass"], "EXISTS", "pwned"), "0");
  assert.match(
    cluster?.logs() ?? "",
    /possible cross-protocol attack: 127\.0\.0\.1:\d+ sent an HTTP/,
  );
});
