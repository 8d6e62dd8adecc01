/**
 * A node that its cluster does not list (docs/operations.md, "Starting a node"): started
 * with itself in --peers it refuses before writing anything; with --join it waits, logged,
 * and `tinykv status` on it says it is not a member until `member add`. A directory `--join`
 * made stays a joiner's when restarted without the flag: it waits again rather than found a
 * cluster of its own from `--peers` (the whole-node simulator's seed 364 with merges).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { getPlatform } from "../../src/platform/detect.ts";
import { type ServerConfig, startServer } from "../../src/server/server.ts";
import { runCli } from "../../src/cli/main.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { FAST_ELECTIONS, freePorts, startCluster, type TestCluster } from "./cluster_helpers.ts";

/** What each test gets: a three-node cluster and node 4's config (not a member yet). */
interface Setup {
  readonly c: TestCluster;
  readonly dir: string;
  readonly address: string;
  readonly lines: string[];
  readonly config: Omit<ServerConfig, "join">;
}

/** Runs `body` with a cluster of three and node 4's data directory, both removed after. */
async function withNode4(body: (s: Setup) => Promise<void>): Promise<void> {
  const c = await startCluster(3);
  const dir = makeTempDir("tinykv-node4-");
  try {
    await c.leader();
    const [port] = await freePorts(1);
    const address = `127.0.0.1:${port}`;
    const peers = new Map([...c.peers, [4, address]]);
    const lines: string[] = [];
    const config = { id: 4, peers, dataDir: dir, log: (l: string) => lines.push(l) };
    await body({ c, dir, address, lines, config });
  } finally {
    await c.close();
    removeTempDir(dir);
  }
}

/** `member add 4` through the CLI, then waits (at most 3 s) for node 4 to log that it joined. */
async function addNode4(s: Setup): Promise<void> {
  const admin = captureHost();
  const endpoints = [...s.c.peers.values()].join(",");
  const added = await runCli(
    ["member", "add", "4", s.address, "--endpoints", endpoints],
    admin,
    getPlatform,
  );
  assert.equal(added, 0, admin.err);
  for (let i = 0; i < 150 && !s.lines.some((l) => /now a member/.test(l)); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(s.lines.join("\n"), /node 4 is now a member of cluster/);
}

test("not a member: refused without --join (nothing written); with --join it waits, then joins", {
  timeout: 60_000,
}, async () => {
  await withNode4(async (s) => {
    const platform = getPlatform();
    await assert.rejects(
      startServer(platform, { ...s.config, ...FAST_ELECTIONS }),
      (err: Error) => {
        assert.match(
          err.message,
          /^node 4 is not a member of cluster [0-9a-f]{16} \(members 1,2,3\)/,
        );
        assert.match(err.message, new RegExp(`tinykv member add 4 ${s.address}.*--join`));
        return true;
      },
    );
    assert.deepEqual(fs.readdirSync(s.dir), [], "a refused node writes nothing");

    const node4 = await startServer(platform, { ...s.config, join: true, ...FAST_ELECTIONS });
    try {
      assert.match(s.lines.join("\n"), /node 4 is not a member .*; waiting to be added/);
      assert.equal(node4.node.status().member, false);
      const clusterId = s.c.servers.get(1)?.node.status().clusterId;
      assert.equal(node4.node.status().clusterId, clusterId, "the joiner adopted the id");
      const host = captureHost();
      assert.equal(await runCli(["status", "--endpoints", s.address], host, getPlatform), 1);
      assert.match(host.err, /^tinykv: node 4 is not a member of cluster/);
      await addNode4(s);
      assert.equal(node4.node.status().member, true);
    } finally {
      await node4.close();
    }
  });
});

test("not a member: a joiner restarted without --join still waits, then joins", {
  timeout: 60_000,
}, async () => {
  await withNode4(async (s) => {
    const platform = getPlatform();
    const first = await startServer(platform, { ...s.config, join: true, ...FAST_ELECTIONS });
    await first.close();
    assert.match(fs.readFileSync(`${s.dir}/IDENTITY`, "utf8"), /\njoined\n/);

    // Without --join, and with itself in --peers as a founder would have: before the mark it
    // founded a one-off cluster 1,2,3,4 here and took itself for a member.
    s.lines.length = 0;
    const node4 = await startServer(platform, { ...s.config, ...FAST_ELECTIONS });
    try {
      assert.match(s.lines.join("\n"), /node 4 is not a member .*\(members 1,2,3\); waiting/);
      assert.equal(node4.node.status().member, false);
      assert.deepEqual(node4.node.status().members, []);
      await addNode4(s);
      const members = node4.node.status().members.map((m) => m.id);
      assert.deepEqual([...members].sort(), [1, 2, 3, 4]);
    } finally {
      await node4.close();
    }
  });
});
