/**
 * `tinykv txn` as a real process: the transaction arrives on the process's
 * standard input (the platform's readStdin on Deno or Bun), the result leaves
 * on stdout; malformed JSON exits 2. Against a one-node in-process cluster.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "../server/cluster_helpers.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

type Run = { code: number; out: string; err: string };

function tinykv(args: string[], stdin: string): Promise<Run> {
  const runtime = "Deno" in globalThis ? ["run", "-A", MAIN] : [MAIN];
  const child = spawn(process.execPath, [...runtime, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stdout.on("data", (chunk: Uint8Array) => (out += fromUtf8(chunk)));
  child.stderr.on("data", (chunk: Uint8Array) => (err += fromUtf8(chunk)));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

test("tinykv txn reads the transaction from the process's stdin", async () => {
  const c = await startCluster(1);
  try {
    const endpoints = ["--endpoints", [...c.peers.values()].join(",")];
    const txn = {
      compare: [{ key: "k", target: "version", result: "=", number: 0 }],
      success: [{ put: { key: "k", value: "v" } }],
    };
    const r = await tinykv(["txn", ...endpoints], JSON.stringify(txn));
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out);
    assert.equal(result.succeeded, true);
    assert.ok(result.revision > 0);
    const bad = await tinykv(["txn", ...endpoints], "{nope");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^tinykv: the transaction on stdin is not JSON/);
    assert.equal(fromUtf8((await c.client().get("k")) ?? new Uint8Array()), "v");
  } finally {
    await c.close();
  }
});
