/**
 * `tinykv watch` as a process against three `tinykv` nodes: the watcher starts
 * on a follower and prints every write, in order and exactly once, while the
 * leader is killed (SIGKILL) and restarted and writes continue; Ctrl-C ends it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("binary: tinykv watch on a follower sees every write across a leader kill", {
  timeout: 120_000,
  skip: BINARY_ONLY_SKIP,
}, async () => {
  const c = await BinaryCluster.start(3);
  const writer = c.client({ deadlineMs: 20_000 });
  try {
    const leader = await c.leader();
    const follower = [...c.nodes.keys()].find((id) => id !== leader) ?? 0;
    const order = [follower, ...[...c.nodes.keys()].filter((id) => id !== follower)];
    const endpoints = order.map((id) => `127.0.0.1:${c.nodes.get(id)?.kvPort}`).join(",");
    const first = await writer.put("e/0", "v0");
    const watcher = spawn(BINARY, [
      "watch",
      "e/",
      "--json",
      "--from-revision",
      String(first),
      "--endpoints",
      endpoints,
    ]);
    let out = "";
    let err = "";
    watcher.stdout.on("data", (d: Uint8Array) => out += new TextDecoder().decode(d));
    watcher.stderr.on("data", (d: Uint8Array) => err += new TextDecoder().decode(d));
    const exited = new Promise<number | null>((r) => watcher.on("exit", (code) => r(code)));
    const lines = () => out.split("\n").filter((l) => l !== "");
    const total = 40;
    for (let i = 1; i < total; i++) {
      if (i === 10) await c.kill(leader, "SIGKILL");
      if (i === 25) c.spawn(leader);
      await writer.put(`e/${i}`, `v${i}`);
    }
    for (let i = 0; i < 300 && lines().length < total; i++) await pause(50);
    const got = lines().map((l) => JSON.parse(l));
    assert.deepEqual(
      got.map((e) => `${e.type} ${e.key}=${e.value}`),
      Array.from({ length: total }, (_, i) => `put e/${i}=v${i}`),
      err,
    );
    assert.ok(got.every((e, i) => i === 0 || e.revision > got[i - 1].revision), "in order");
    if (watcher.pid !== undefined) process.kill(watcher.pid, "SIGINT");
    assert.equal(await exited, 0, err);
  } finally {
    writer.close();
    await c.stop();
  }
});
