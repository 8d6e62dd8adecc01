/**
 * Users with the compiled binary: the operator builds an auth file with `tinykv role add` and
 * `tinykv user add --password-stdin`, starts a node with `--auth-file`, and client commands
 * log in with `--user` (password in TINYKV_PASSWORD or `--password`); a wrong password, no
 * credential and a user without permission are each refused with one line and exit 1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";

type Run = { code: number; out: string; err: string };

function tinykv(args: string[], env: Record<string, string> = {}, stdin = ""): Promise<Run> {
  const child = spawn(BINARY, args, {
    stdio: ["pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  let out = "", err = "";
  child.stdout.on("data", (d: Uint8Array) => out += new TextDecoder().decode(d));
  child.stderr.on("data", (d: Uint8Array) => err += new TextDecoder().decode(d));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

test("binary: put/get with --user; wrong password, no credential, no permission refused", {
  skip: BINARY_ONLY_SKIP,
  timeout: 60_000,
}, async () => {
  const dir = makeTempDir("tinykv-auth-e2e-");
  const file = `${dir}/auth.json`;
  const f = ["--auth-file", file];
  const fast = ["--iterations", "10000"];
  assert.equal((await tinykv(["role", "add", "app-rw", ...f, "--readwrite", "app/"])).code, 0);
  const add = await tinykv(
    ["user", "add", "alice", ...f, "--roles", "app-rw", "--password-stdin", ...fast],
    {},
    "alicepass\n",
  );
  assert.equal(add.code, 0, add.err);
  const c = await BinaryCluster.start(1, f);
  try {
    await c.leader();
    const e = ["--endpoints", c.endpoints];
    const alice = { TINYKV_PASSWORD: "alicepass" };
    const put = await tinykv(["put", "app/k", "hello", "--user", "alice", ...e], alice);
    assert.equal(put.code, 0, put.err);
    const get = await tinykv(["get", "app/k", ...e, "--user", "alice", "--password", "alicepass"]);
    assert.deepEqual([get.code, get.out], [0, "hello\n"], get.err);
    const refusals: [string[], Record<string, string>, RegExp][] = [
      [
        ["get", "app/k", "--user", "alice"],
        { TINYKV_PASSWORD: "wrong" },
        /wrong user name or password/,
      ],
      [["get", "app/k"], {}, /authentication required/],
      [["put", "other/k", "v", "--user", "alice"], alice, /user 'alice': no write permission/],
    ];
    for (const [args, env, pattern] of refusals) {
      const r = await tinykv([...args, ...e], env);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, pattern);
      assert.equal(r.err.trim().split("\n").length, 1, r.err);
    }
  } finally {
    await c.stop();
    removeTempDir(dir);
  }
});
