/**
 * The admin CLI commands (snapshot, transfer-leader, member) against an
 * in-process cluster, their usage errors (exit 2), runtime errors (exit 1),
 * and the admin token on the protobuf port.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { startServer } from "../../src/server/server.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { FAST_ELECTIONS, freePorts, startCluster } from "./cluster_helpers.ts";

async function cli(env: Record<string, string>, ...args: string[]) {
  const host = captureHost(env);
  const code = await runCli(args, host, getPlatform);
  return { code, out: host.out, err: host.err };
}

test("admin CLI: snapshot, transfer-leader, member list; usage and runtime errors", async () => {
  const c = await startCluster(3, 20);
  try {
    const endpoints = [...c.peers.values()].join(",");
    await c.client().put("k", "v");
    const snap = await cli({}, "snapshot", "--endpoints", endpoints);
    assert.equal(snap.code, 0, snap.err);
    const index = Number(/compacted to index (\d+)/.exec(snap.out)?.[1]);
    assert.ok(index >= 2, snap.out);
    const leader = await c.leader();
    const target = leader === 1 ? 2 : 1;
    const moved = await cli({}, "transfer-leader", String(target), "--endpoints", endpoints);
    assert.equal(moved.code, 0, moved.err);
    assert.equal(c.servers.get(target)?.node.status().role, "leader");
    const list = await cli({}, "member", "list", "--endpoints", endpoints);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`^${target} +127\\.0\\.0\\.1:\\d+ +leader$`, "m"));
    for (
      const args of [
        ["member", "add", "4"],
        ["member", "frob"],
        ["transfer-leader", "abc"],
        ["member", "add", "4", "nohost"],
        ["member", "remove", "2", "--learner"],
        ["snapshot", "extra"],
      ]
    ) {
      const r = await cli({}, ...args, "--endpoints", endpoints);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, /^tinykv: .+\n$/);
    }
    const missing = await cli({}, "member", "remove", "99", "--endpoints", endpoints);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /not a member/);
  } finally {
    await c.close();
  }
});

test("admin requests need the admin token when the node has one", async () => {
  const platform = getPlatform();
  const dir = makeTempDir("tinykv-admin-");
  const [port] = await freePorts(1);
  const address = `127.0.0.1:${port}`;
  const server = await startServer(platform, {
    id: 1,
    peers: new Map([[1, address]]),
    dataDir: dir,
    ...FAST_ELECTIONS,
    adminToken: "s3cret",
  });
  const client = (adminToken?: string) =>
    new TinyKvClient({
      endpoints: [address],
      net: platform.net,
      clock: platform.clock,
      seed: 1,
      deadlineMs: 5000,
      adminToken,
    });
  const without = client(), wrong = client("nope"), right = client("s3cret");
  try {
    await right.put("k", "v"); // data requests need no token
    for (const c of [without, wrong]) {
      await assert.rejects(
        c.snapshot(),
        (e: unknown) => e instanceof TinyKvError && e.code === "UNAUTHORIZED",
      );
    }
    assert.ok((await right.snapshot()) >= 2);
    const env = await cli({ TINYKV_ADMIN_TOKEN: "s3cret" }, "snapshot", "--endpoints", address);
    assert.equal(env.code, 0, env.err);
    const denied = await cli({}, "snapshot", "--endpoints", address);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /admin token/);
  } finally {
    for (const c of [without, wrong, right]) c.close();
    await server.close();
    removeTempDir(dir);
  }
});
