/**
 * One cluster, two settings of `--region-split-bytes` (docs/regions.md, "One setting per
 * cluster"; decision 0020): nodes 1 and 2 split, node 3 runs one region. Their snapshots and
 * commands differ, so their links are refused both ways at the peer Hello (region_mode.ts), each
 * side logging `peer.refused` with the flag's name, and node 3 replicates nothing, as if
 * partitioned; nodes 1 and 2, a majority, serve and split. Node 3 restarted with splitting on
 * joins in and catches up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ServerConfig } from "../../src/server/server.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, noise, regionCounts, settle, SPLIT, until } from "./region_split_helpers.ts";

test("region mode mixed: a node with splitting off is refused by nodes that split", {
  timeout: 90_000,
}, async () => {
  const logs = new Map<number, string[]>([[1, []], [2, []], [3, []]]);
  let third: Partial<ServerConfig> = { regionSplitBytes: 0 };
  const c = await startCluster(3, 20, undefined, (id) => ({
    ...(id === 3 ? third : SPLIT),
    log: (line: string) => logs.get(id)?.push(line),
  }));
  try {
    const refused = (id: number) =>
      (logs.get(id) ?? []).filter((l) => l.includes("peer.refused") && l.includes("ERROR"));
    await until(
      "every node refused the other setting",
      () => [1, 2, 3].every((id) => refused(id).length > 0),
    );
    const line = refused(3)[0];
    assert.match(line, /--region-split-bytes/, line);
    assert.match(line, /node [12] splits regions .* but node 3 runs one region/, line);
    assert.match(refused(1)[0], /node 1 splits regions .* but node 3 runs one region/);

    // Nodes 1 and 2 are a majority: they serve, and split.
    const client = c.client([1, 2]);
    const values = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const k = key((i * 37) % 100);
      values.set(k, `v${i}-${noise(120)}`);
      await client.put(k, values.get(k) ?? "");
      if (i >= 40 && regionCounts(c).slice(0, 2).every((n) => n >= 3)) break;
    }
    const n3 = c.servers.get(3)?.node;
    assert.ok(n3 !== undefined);
    assert.equal(hostOf(c, 3).count, 1, "node 3 applied no split");
    assert.equal(n3.kv.revision, 0, "node 3 applied no write");
    assert.equal(hostOf(c, 3).regionSnapshots, false);

    // Node 3 restarted with the cluster's setting: it is let in and catches up.
    await c.stop(3);
    third = SPLIT;
    await c.start(3);
    await settle(c, 3);
    const local = c.client([3]);
    await until("node 3 caught up", () => {
      const [r1, r3] = [hostOf(c, 1), hostOf(c, 3)];
      return r1.all().every((r) =>
        r3.region(r.kv.descriptor.id)?.kv.kv.revision === r.kv.kv.revision
      );
    }, 20_000);
    for (const [k, v] of values) {
      const got = await local.get(k, { consistency: "serializable" });
      assert.equal(got === undefined ? undefined : fromUtf8(got), v, `${k} on node 3`);
    }
    console.log(
      `region mode mixed: refusals logged ${
        [1, 2, 3].map((id) => refused(id).length).join("/")
      }; ` +
        `${regionCounts(c).join("/")} regions once node 3 split too`,
    );
  } finally {
    await c.close();
  }
});

test("region mode mixed: a node joining with splitting off is refused, the cluster unchanged", {
  timeout: 90_000,
}, async () => {
  const lines: string[] = [];
  const c = await startCluster(
    3,
    20,
    undefined,
    (id) => id === 4 ? { regionSplitBytes: 0, log: (line: string) => lines.push(line) } : SPLIT,
  );
  try {
    await c.leader();
    const client = c.client([1, 2, 3]);
    for (let i = 0; i < 20; i++) await client.put(key(i), `v${i}`);
    const address = await c.startJoining(4);
    // A learner only: the leader adds it and sends it appends, which the Hello check stops.
    await client.addMember(4, address, { learnerOnly: true });
    await until(
      "node 4 refused the cluster's setting",
      () =>
        lines.some((l) => l.includes("ERROR peer.refused") && l.includes("--region-split-bytes")),
    );
    await client.put(key(20), "after the join");
    assert.equal(c.servers.get(4)?.node.kv.revision, 0, "node 4 applied nothing");
    assert.equal(hostOf(c, 4).regionSnapshots, false);
    await client.removeMember(4);
    assert.equal(fromUtf8((await client.get(key(20))) ?? new Uint8Array()), "after the join");
  } finally {
    await c.close();
  }
});
