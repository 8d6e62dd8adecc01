/**
 * The compiled binary's RESP port under the tools and clients people point at
 * Redis: redis-benchmark (which reads CONFIG GET save/appendonly first and
 * warns when it cannot), ioredis's connect sequence (INFO ready check, CLIENT
 * SETNAME), redis-cli's COMMAND DOCS, and WAIT across a three-node group.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import { BinaryCluster } from "./binary_cluster.ts";

function installed(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

function run(tool: string, args: string[]): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ out: `${stdout}${stderr}`, code });
    });
  });
}

async function leaderResp(c: BinaryCluster): Promise<number> {
  const n = c.nodes.get(await c.leader());
  assert.ok(n);
  return n.respPort;
}

const benchmark = installed("redis-benchmark");
test("binary: redis-benchmark runs every test without the CONFIG warning", {
  timeout: 180_000,
  skip: benchmark ? false : "redis-benchmark is not installed (apt-get install redis-tools)",
}, async () => {
  const c = await BinaryCluster.start(1);
  try {
    const port = await leaderResp(c);
    const args = ["-p", String(port), "-n", "2000", "-t", "set,get,incr,mset", "-q"];
    const { out, code } = await run("redis-benchmark", args);
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /WARNING|Could not fetch|ERR/i);
    const done = out.split(/[\r\n]+/).filter((l) => / requests per second/.test(l));
    const names = done.map((l) => l.slice(0, l.indexOf(":")));
    assert.deepEqual(names, ["SET", "GET", "INCR", "MSET (10 keys)"], out);
  } finally {
    await c.stop();
  }
});

test("binary: ioredis connects (ready check, name), reads CONFIG, CLIENT, INFO; WAIT", {
  timeout: 60_000,
}, async () => {
  const c = await BinaryCluster.start(3);
  const r = new Redis({
    port: await leaderResp(c),
    host: "127.0.0.1",
    lazyConnect: true,
    connectionName: "e2e-app",
    maxRetriesPerRequest: 3,
  });
  const errors: Error[] = [];
  r.on("error", (e: Error) => errors.push(e));
  try {
    await r.connect();
    assert.equal(r.status, "ready");
    assert.equal(await r.client("GETNAME"), "e2e-app");
    assert.deepEqual(await r.config("GET", "appendonly"), ["appendonly", "yes"]);
    assert.equal(await r.set("e2e:k", "v"), "OK");
    // Both followers acknowledge the write soon; WAIT 2 returns once they have.
    assert.equal(await r.wait(2, 0), 2);
    const replication = await r.info("replication");
    assert.match(replication, /^# Replication\r\nrole:master\r\nconnected_slaves:2\r\n/);
    assert.match(await r.info("keyspace"), /\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n/);
    const list = String(await r.client("LIST"));
    assert.match(list, /name=e2e-app .* cmd=client\|list /);
    // As in Redis, COMMAND LIST names subcommands too ("config|get"); COUNT does not.
    const names = await r.call("COMMAND", "LIST") as string[];
    assert.ok(names.includes("wait") && names.includes("config|get"), names.join(" "));
    assert.ok(Number(await r.call("COMMAND", "COUNT")) < names.length);
    assert.deepEqual(errors, []);
  } finally {
    r.disconnect();
    await c.stop();
  }
});

const cli = installed("redis-cli");
test("binary: redis-cli --no-raw reads COMMAND DOCS and TIME without an error", {
  timeout: 60_000,
  skip: cli ? false : "redis-cli is not installed",
}, async () => {
  const c = await BinaryCluster.start(1);
  try {
    const port = String(await leaderResp(c));
    const docs = await run("redis-cli", ["-p", port, "--no-raw", "COMMAND", "DOCS", "get"]);
    assert.equal(docs.code, 0);
    assert.doesNotMatch(docs.out, /\(error\)/);
    assert.match(docs.out, /"summary"/);
    const time = await run("redis-cli", ["-p", port, "--no-raw", "TIME"]);
    assert.match(time.out, /^1\) "\d+"\n2\) "\d+"\n$/);
  } finally {
    await c.stop();
  }
});
