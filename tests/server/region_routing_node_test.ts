/**
 * Region routing against real in-process nodes, which run one Raft group: region 1 over the
 * whole keyspace (src/server/node/node_region_catalog.ts, docs/regions.md#routing). The routing
 * client works against them; stale routes are refused before they run; `Regions`, `GET /regions`
 * and the per-region metrics describe region 1; a follower refuses a routed write with the
 * leader's address.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { ClientConnection } from "../../src/client/connection.ts";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { runCli } from "../../src/cli/main.ts";
import { captureHost } from "../helpers/capture_host.ts";

const platform = getPlatform();

function routingClient(c: TestCluster, ids: number[]): TinyKvClient {
  return new TinyKvClient({
    endpoints: ids.map((id) => c.peers.get(id) ?? ""),
    net: platform.net,
    clock: platform.clock,
    seed: 3,
    deadlineMs: 15_000,
    routing: true,
  });
}

/** One put sent with a route, on a connection of its own. */
async function routedPut(address: string, regionId: number, version: number, confVer: number) {
  const conn = await ClientConnection.open(platform.net, platform.clock, address);
  try {
    const route = {
      regionId: BigInt(regionId),
      epoch: { version: BigInt(version), confVer: BigInt(confVer) },
    };
    const body = { case: "put" as const, value: { key: utf8("raw"), value: utf8("x") } };
    return await conn.call(body, { timeoutMs: 5000, route });
  } finally {
    conn.close();
  }
}

test("routing node: one region; the routing client, Regions, /regions, metrics, stale routes", async () => {
  const c = await startCluster(1);
  const client = routingClient(c, [1]);
  try {
    await c.leader();
    for (let i = 0; i < 20; i++) await client.put(`k${String(i).padStart(2, "0")}`, `v${i}`);
    assert.equal(fromUtf8(await client.get("k07") ?? new Uint8Array(0)), "v7");
    const keys: string[] = [];
    let cursor: Uint8Array | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await client.scan({ prefix: "k", limit: 6, cursor });
      keys.push(...p.items.map((i) => fromUtf8(i.key)));
      cursor = p.nextCursor;
      if (cursor === undefined) break;
    }
    assert.deepEqual(keys, Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}`));
    const [region, ...others] = await client.regions();
    assert.deepEqual(others, []);
    assert.equal(region.id, 1);
    assert.deepEqual([region.start.length, region.end.length, region.leaderId], [0, 0, 1]);
    assert.deepEqual(region.replicas.map((p) => [p.nodeId, p.role, p.address]), [[
      1,
      "voter",
      c.peers.get(1),
    ]]);
    assert.equal(region.approximateKeys, 20);
    assert.ok(region.approximateBytes > 0);
    const { version, confVer } = region.epoch;
    assert.equal(version, 1);

    const address = c.peers.get(1) ?? "";
    const stale = await routedPut(address, 1, version, confVer + 5);
    assert.equal(stale.error?.code, ErrorCode.EPOCH_NOT_MATCH);
    assert.deepEqual(stale.error?.regions.map((r) => Number(r.id)), [1]);
    assert.equal(Number(stale.error?.regions[0].epoch?.confVer), confVer);
    const missing = await routedPut(address, 9, 1, 1);
    assert.equal(missing.error?.code, ErrorCode.REGION_NOT_FOUND);
    assert.equal(await client.get("raw"), undefined, "refused routes applied nothing");
    const ok = await routedPut(address, 1, version, confVer);
    assert.equal(ok.error, undefined);

    const http = `http://127.0.0.1:${c.servers.get(1)?.httpPort}`;
    const json = await (await fetch(`${http}/regions`)).json();
    assert.equal(json.node, 1);
    assert.deepEqual(
      json.regions.map((
        r: { id: number; start: string; end: null; leader: number },
      ) => [r.id, r.start, r.end, r.leader]),
      [[1, "", null, 1]],
    );
    const metrics = await (await fetch(`${http}/metrics`)).text();
    assert.match(metrics, /^tinykv_region_approximate_keys\{region="1"\} 21$/m);
    assert.match(metrics, /^tinykv_region_is_leader\{region="1"\} 1$/m);
    assert.match(metrics, /^tinykv_regions_leading 1$/m);

    const cli = async (args: string[]) => {
      const h = captureHost();
      const code = await runCli([...args, "--endpoints", address], h, getPlatform);
      return { code, out: h.out, err: h.err };
    };
    const status = await cli(["status"]);
    assert.equal(status.code, 0, status.err);
    assert.match(
      status.out,
      /\nregions 1 \(leaders: node 1 ×1\), [\d.]+ (B|KiB|MiB), 21 keys\nplacement leader 1; /,
    );
    const statusJson = JSON.parse((await cli(["status", "--json"])).out);
    assert.deepEqual(statusJson.regions.leaders, { 1: 1 });
    assert.equal(statusJson.regions.count, 1);
    const listed = await cli(["regions"]);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /^1 +\["", \+inf\) +[\d.]+ (B|KiB|MiB) +21 +1 +1 +-$/m);
  } finally {
    client.close();
    await c.close();
  }
});

test("routing node: a follower refuses a routed write with the leader; the client follows", async () => {
  const c = await startCluster(3);
  try {
    const leader = await c.leader();
    const follower = [1, 2, 3].find((id) => id !== leader) ?? 0;
    const client = routingClient(c, [follower]);
    const [region] = await client.regions();
    assert.deepEqual(region.replicas.map((p) => p.nodeId).sort(), [1, 2, 3]);
    const { version, confVer } = region.epoch;
    const refused = await routedPut(c.peers.get(follower) ?? "", 1, version, confVer);
    assert.equal(refused.error?.code, ErrorCode.NOT_LEADER);
    assert.equal(refused.error?.leaderAddress, c.peers.get(leader));
    assert.equal(Number(refused.error?.regionId), 1);
    await client.put("routed", "yes");
    assert.equal(fromUtf8(await client.get("routed") ?? new Uint8Array(0)), "yes");
    assert.equal(client.routes?.leaderAddress(client.routes.all()[0]), c.peers.get(leader));
    client.close();
  } finally {
    await c.close();
  }
});
