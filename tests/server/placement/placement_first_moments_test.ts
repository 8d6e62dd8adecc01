/**
 * The first moments of a fresh splitting cluster (decision 0020, gap 2). Before the keyspace first
 * splits a write takes no timestamp (stamping.ts), so it needs no placement leader at all; a
 * timestamp request (every write's, once the keyspace has split) that arrives before region 0
 * has a leader waits for it (leader_wait.ts, bounded by `requestTimeoutMs`) instead of failing
 * at once with UNAVAILABLE (RESP `-TRYAGAIN`, which redis-cli does not retry).
 *
 * Five nodes, so that region 1 (voters 1–5) can elect while region 0 (voters 1–3) cannot: with
 * nodes 1, 4 and 5 up, a RESP `SET` answers `+OK` at once while a timestamp request waits;
 * starting node 2 gives region 0 its quorum (node 1 campaigns at once there too:
 * first_election.ts) and the request answers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../../src/platform/detect.ts";
import { type RunningServer, startServer } from "../../../src/server/server.ts";
import { firstElectionPlan } from "../../../src/server/node/first_election.ts";
import { PLACEMENT_REGION } from "../../../src/server/placement/placement_options.ts";
import { makeTempDir, removeTempDir } from "../../helpers/temp_dir.ts";
import { FAST_ELECTIONS, freePorts } from "../cluster_helpers.ts";
import { SPLIT, until } from "../region_split_helpers.ts";
import { RawClient } from "../resp/resp_test_client.ts";

test("before region 0 has a leader, a write answers and a timestamp request waits", {
  timeout: 60_000,
}, async () => {
  const platform = getPlatform();
  const ports = await freePorts(10);
  const peers = new Map([1, 2, 3, 4, 5].map((id) => [id, `127.0.0.1:${ports[id - 1]}`]));
  const dirs = new Map([1, 2, 3, 4, 5].map((id) => [id, makeTempDir(`tinykv-first0-${id}-`)]));
  const servers = new Map<number, RunningServer>();
  const start = async (id: number) => {
    servers.set(
      id,
      await startServer(platform, {
        id,
        peers,
        dataDir: dirs.get(id) ?? "",
        respPort: ports[4 + id],
        httpPort: 0,
        ...FAST_ELECTIONS,
        ...SPLIT,
      }),
    );
  };
  const server = (id: number) => {
    const s = servers.get(id);
    if (s === undefined) throw new Error(`node ${id} is not running`);
    return s;
  };
  let resp: RawClient | undefined;
  try {
    for (const id of [1, 4, 5]) await start(id);
    await until(
      "region 1 elects on nodes 1, 4 and 5",
      () => [...servers.values()].every((s) => (s.node.status().leader ?? 0) !== 0),
    );
    const one = server(1).node.raft.placement;
    assert.equal(one.leaderId, 0, "region 0 has one voter of three up: no leader");
    resp = await RawClient.connect(server(1).respPort ?? 0);
    assert.equal(await resp.one("SET", "first", "v"), "+OK\r\n", "no timestamp before a split");
    assert.equal(server(1).node.local.timestamps(), undefined);
    let answered = false;
    const drawn = one.timestamps(1).then((r) => (answered = true, r));
    // The request waits on node 1 (a placement voter) for a leader; before the fix it failed at
    // once: `-TRYAGAIN … placement leader unreachable` for every write of a split cluster.
    await until("the request waits or answers", () => one.leaderWait.waiting > 0 || answered);
    assert.equal(answered, false, "the timestamp request waits for region 0");
    await start(2);
    assert.equal((await drawn).count, 1);
    assert.equal(await resp.one("GET", "first"), "$1\r\nv\r\n");
    for (const s of servers.values()) {
      const region0 = s.node.raft.driver.regionNode(PLACEMENT_REGION);
      if (region0 !== undefined) assert.equal(firstElectionPlan(region0), "none");
    }
  } finally {
    resp?.close();
    await Promise.all([...servers.values()].map((s) => s.close()));
    for (const d of dirs.values()) removeTempDir(d);
  }
});
