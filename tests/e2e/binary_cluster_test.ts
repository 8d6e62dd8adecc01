/**
 * The compiled binary as three real processes on loopback: the CLI, RESP
 * through redis-cli on a follower, the client library, kill -9 of the leader
 * under a stream of writes, and a full restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const platform = getPlatform();

function client(c: BinaryCluster): TinyKvClient {
  return new TinyKvClient({
    endpoints: c.endpoints.split(","),
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    deadlineMs: 15_000,
    attemptTimeoutMs: 1000,
  });
}

/** redis-cli is a Debian tool (scripts/test_deps.sh installs it); without it the RESP part skips. */
function hasRedisCli(): boolean {
  try {
    execFileSync("redis-cli", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const REDIS_CLI = hasRedisCli();
if (!REDIS_CLI) console.log("binary_cluster_test: redis-cli not installed: its RESP checks skip");

function redis(port: number, ...args: string[]): string {
  return execFileSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" }).trim();
}

test(
  "binary: CLI, RESP on a follower, and the client library see one store",
  { timeout: 90_000, skip: BINARY_ONLY_SKIP },
  async () => {
    const c = await BinaryCluster.start(3);
    const kv = client(c);
    try {
      const leader = await c.leader();
      assert.equal((await c.cli("put", "greeting", "hello")).stdout, "OK\n");
      assert.equal((await c.cli("get", "greeting")).stdout, "hello\n");
      const missing = await c.cli("get", "nope");
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^tinykv: key not found: nope\n$/);
      const follower = [...c.nodes.values()].find((n) => n.id !== leader);
      assert.ok(follower);
      if (REDIS_CLI) {
        assert.equal(redis(follower.respPort, "SET", "via-follower", "yes"), "OK");
        assert.equal(redis(follower.respPort, "INCRBY", "counter", "5"), "5");
        for (const n of c.nodes.values()) {
          assert.equal(redis(n.respPort, "GET", "via-follower"), "yes", `node ${n.id}`);
          assert.equal(redis(n.respPort, "GET", "greeting"), "hello", `node ${n.id}`);
        }
      }
      await kv.batch([{ type: "put", key: "b/1", value: "x" }, {
        type: "put",
        key: "b/2",
        value: "y",
      }]);
      assert.equal(await kv.compareAndSet("b/1", "x", "x2"), true);
      assert.equal((await c.cli("scan", "b/")).stdout, "b/1\tx2\nb/2\ty\n");
      assert.equal((await c.cli("delete", "b/2")).stdout, "deleted\n");
      assert.equal((await c.cli("get", "b/2")).code, 1);
      assert.match((await c.cli("status")).stdout, /leader/);
      const members = (await c.cli("member", "list")).stdout;
      assert.equal(members.trim().split("\n").length, 4, members);
      assert.match(members, new RegExp(`^${leader}\\s+127\\.0\\.0\\.1:\\d+\\s+leader$`, "m"));
      assert.equal((await c.cli("frobnicate")).code, 2);
    } finally {
      kv.close();
      await c.stop();
    }
  },
);

test(
  "binary: kill -9 of the leader during writes loses no acknowledged write",
  { timeout: 90_000, skip: BINARY_ONLY_SKIP },
  async () => {
    const c = await BinaryCluster.start(3);
    const kv = client(c);
    try {
      const old = await c.leader();
      const acked = new Map<string, string>();
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop && i < 100_000; i++) {
          const key = `w${i}`;
          await kv.put(key, `v${i}`);
          acked.set(key, `v${i}`);
        }
      })();
      while (acked.size < 100) await new Promise((r) => setTimeout(r, 10));
      await c.kill(old, "SIGKILL");
      const killedAt = Date.now();
      const next = await c.leader(10_000);
      const failoverMs = Date.now() - killedAt;
      const before = acked.size;
      while (acked.size < before + 100) await new Promise((r) => setTimeout(r, 10));
      stop = true;
      await writer;
      console.log(`failover: node ${old} killed, node ${next} leads after ${failoverMs} ms`);
      assert.notEqual(next, old);
      assert.ok(failoverMs < 5000, `failover took ${failoverMs} ms`);
      c.spawn(old);
      for (const [key, value] of acked) {
        assert.equal(fromUtf8((await kv.get(key)) ?? new Uint8Array()), value, key);
      }
      // A process signalled before its runtime has set the node's handler dies of the signal:
      // the restarted node must be up first.
      await c.serving(20_000);
      for (const id of [...c.nodes.keys()]) {
        const code = await c.kill(id, "SIGTERM");
        assert.equal(code, 0, `node ${id} stops cleanly on SIGTERM\n${c.logs()}`);
      }
      for (const id of [...c.nodes.keys()]) c.spawn(id);
      await c.leader();
      const page = await kv.scan({ prefix: "w", limit: 10_000 });
      assert.ok(page.items.length >= acked.size, "all data present after a full restart");
    } finally {
      kv.close();
      await c.stop();
    }
  },
);
