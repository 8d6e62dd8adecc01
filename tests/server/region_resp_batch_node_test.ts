/**
 * A RESP write batch on a node whose keyspace is split (src/server/node/redis_batch_regions.ts):
 * its requests go into one entry per region they name, not one entry each, and every request
 * still answers on its own (+OK, or its own error) with its value stored in its region.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, noise, splitInto } from "./region_split_helpers.ts";
import { bulk, RawClient } from "./resp/resp_test_client.ts";
import { containsKey } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";

test("regions: a RESP batch over several regions is one entry per region", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, { regionSplitBytes: 2048, splitCheckMs: 40 });
  let resp: RawClient | undefined;
  try {
    await c.leader();
    await splitInto(c, c.client(), 3);
    // Each region's entries: its highest commit index over the nodes.
    const committed = (id: number) =>
      Math.max(
        ...[...c.servers.keys()].map((n) =>
          hostOf(c, n).region(id)?.group.rawNode.commitIndex ?? 0
        ),
      );
    const keys = Array.from({ length: 60 }, (_, i) => key((i * 7) % 100));
    const unique = [...new Set(keys)];
    const values = unique.map(() => noise(40));
    // The node to send to: one leading a region that holds 3 of the keys. Regions this node leads
    // get the batch's part straight away (a follower sends its requests to the region's leader
    // one by one: leader_forwarder.ts). Which node that is depends on the elections the splits
    // left, so every node is asked, for a while.
    const ledOn = (node: number) => {
      const host = hostOf(c, node);
      const regionOf = (k: string) =>
        host.all().find((r) => containsKey(r.kv.descriptor, utf8(k)))?.id ?? 0;
      const perRegion = new Map<number, number>();
      for (const k of unique) perRegion.set(regionOf(k), (perRegion.get(regionOf(k)) ?? 0) + 1);
      return [...perRegion].filter(([id, n]) =>
        n >= 3 && host.region(id)?.group.rawNode.isLeader === true
      );
    };
    let sender = 0;
    let led: [number, number][] = [];
    for (const deadline = Date.now() + 10_000; led.length === 0 && Date.now() < deadline;) {
      for (const node of c.servers.keys()) {
        led = ledOn(node);
        sender = node;
        if (led.length > 0) break;
      }
      if (led.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(led.length >= 1, "some node leads a region holding 3 of the keys");
    resp = await RawClient.connect(c.respPorts.get(sender) ?? 0);
    const before = new Map(led.map(([id]) => [id, committed(id)]));
    // One write: one socket read, one batch (no key twice in it).
    const replies = await resp.send(...unique.map((k, i) => ["SET", k, values[i]]));
    assert.deepEqual(replies, unique.map(() => "+OK\r\n"));
    for (const [id, n] of led) {
      const added = committed(id) - (before.get(id) ?? 0);
      assert.ok(added <= 2, `region ${id}: ${n} SETs took ${added} entries`);
    }
    const got = await resp.send(...unique.map((k) => ["GET", k]));
    assert.deepEqual(got, values.map((v) => bulk(v)));
    // A request failing on its own fails alone: INCR of a non-number beside SETs.
    const mixed = await resp.send(["SET", unique[0], "1"], ["INCR", unique[1]], [
      "SET",
      unique[2],
      "3",
    ]);
    assert.equal(mixed[0], "+OK\r\n");
    assert.match(mixed[1], /^-ERR value is not an integer/);
    assert.equal(mixed[2], "+OK\r\n");
  } finally {
    resp?.close();
    await c.close();
  }
});
