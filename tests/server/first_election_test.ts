/**
 * The first election (src/server/node/first_election.ts): a single voter leads as soon as
 * startServer returns, and a fresh 3-node cluster is led by its lowest id in the first term
 * after bootstrap, in region 1 and in the placement group (region 0), with the binary's own
 * 1–2 s election timeouts (no test timing).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import { firstElectionPlan } from "../../src/server/node/first_election.ts";
import { PLACEMENT_REGION } from "../../src/server/placement/placement_options.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { freePorts } from "./cluster_helpers.ts";

test("first election: a single voter leads the moment it starts and takes a write", async () => {
  const platform = getPlatform();
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-first-");
  const address = `127.0.0.1:${port}`;
  const server = await startServer(platform, {
    id: 1,
    peers: new Map([[1, address]]),
    dataDir: dir,
  });
  const client = new TinyKvClient({
    endpoints: [address],
    net: platform.net,
    clock: platform.clock,
    seed: 1,
  });
  try {
    // No election timeout has passed (the binary's is 1–2 s): the node already leads.
    assert.equal(server.node.node.rawNode.isLeader, true);
    assert.equal(firstElectionPlan(server.node.node), "none");
    const started = platform.clock.nowMs();
    await client.put("k", "v");
    const ms = platform.clock.nowMs() - started;
    console.log(`first write on a single node: ${ms.toFixed(1)} ms after the ports opened`);
    assert.equal(new TextDecoder().decode(await client.get("k")), "v");
  } finally {
    client.close();
    await server.close();
    removeTempDir(dir);
  }
});

test("first election: a fresh 3-node cluster is led by node 1 in term 2, region 0 too", async () => {
  const platform = getPlatform();
  const ports = await freePorts(3);
  const peers = new Map(ports.map((p, i) => [i + 1, `127.0.0.1:${p}`]));
  const dirs = [1, 2, 3].map((i) => makeTempDir(`tinykv-first${i}-`));
  const servers: RunningServer[] = [];
  try {
    for (const id of [1, 2, 3]) {
      servers.push(await startServer(platform, { id, peers, dataDir: dirs[id - 1] }));
    }
    // Node 1 retries its pre-vote every heartbeat until a majority answers.
    const raft = servers[0].node.node.rawNode;
    for (let i = 0; i < 200 && raft.lead === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(raft.lead, 1);
    assert.equal(raft.term, 2, "won by its first real campaign, not after a split or a timeout");
    for (const s of servers) assert.equal(firstElectionPlan(s.node.node), "none");
    // The placement group (region 0: the oracle of every write once regions split) as well.
    const region0 = servers[0].node.raft.driver.regionNode(PLACEMENT_REGION)?.rawNode;
    for (let i = 0; i < 200 && region0?.lead === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(region0?.lead, 1);
    assert.equal(region0?.term, 2, "region 0 won by node 1's first campaign, not a timeout");
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    for (const d of dirs) removeTempDir(d);
  }
});
