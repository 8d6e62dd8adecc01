/**
 * The client's region routing (docs/regions.md#routing) against a fake multi-region cluster
 * (fake_regions.ts: real sockets, the real protobuf port and route check): keyed requests go to
 * their region's leader, scans are cut at region boundaries and stitched in order, and splits
 * and leader moves in the middle of the test (and of a scan) leave every answer correct.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import {
  ClientConnection,
  type RequestBody,
  type RequestRoute,
} from "../../src/client/connection.ts";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { FakeRegionCluster } from "./fake_regions.ts";

const platform = getPlatform();
const LETTERS = "abcdefghijklmnopqrstuvwxyz".split("");

function clientOf(c: FakeRegionCluster, endpoint = 1): TinyKvClient {
  return new TinyKvClient({
    endpoints: [c.address(endpoint)],
    net: platform.net,
    clock: platform.clock,
    seed: 7,
    deadlineMs: 5000,
    routing: true,
  });
}

async function scanAll(client: TinyKvClient, limit: number, reverse = false): Promise<string[]> {
  const keys: string[] = [];
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 100; page++) {
    const p = await client.scan({ limit, cursor, reverse });
    keys.push(...p.items.map((i) => fromUtf8(i.key)));
    cursor = p.nextCursor;
    if (cursor === undefined) return keys;
  }
  throw new Error("scan did not finish in 100 pages");
}

/** Regions ["", g) led by 1, [g, p) by 2, [p, "") by 3; the client knows only node 1. */
async function withCluster(run: (c: FakeRegionCluster, client: TinyKvClient) => Promise<void>) {
  const c = await FakeRegionCluster.start(3, ["g", "p"]);
  const client = clientOf(c);
  try {
    await run(c, client);
  } finally {
    client.close();
    await c.close();
  }
}

test("routing: each write goes to its region's leader; reads and scans see them all", async () => {
  await withCluster(async (c, client) => {
    for (const k of LETTERS) await client.put(k, `v-${k}`);
    assert.deepEqual(c.logs.get(1)?.writes, LETTERS.slice(0, 6)); // a..f
    assert.deepEqual(c.logs.get(2)?.writes, LETTERS.slice(6, 15)); // g..o
    assert.deepEqual(c.logs.get(3)?.writes, LETTERS.slice(15)); // p..z
    for (const k of ["a", "g", "o", "z"]) {
      assert.equal(fromUtf8(await client.get(k) ?? new Uint8Array(0)), `v-${k}`);
    }
    assert.deepEqual(await scanAll(client, 4), LETTERS);
    assert.deepEqual(await scanAll(client, 5, true), [...LETTERS].reverse());
    const mid = await client.scan({ start: "e", end: "r", limit: 100 });
    assert.deepEqual(mid.items.map((i) => fromUtf8(i.key)), LETTERS.slice(4, 17));
    const offset = await client.scan({ prefix: "", offset: 5, limit: 3 });
    assert.deepEqual(offset.items.map((i) => fromUtf8(i.key)), ["f", "g", "h"]);
    const regions = await client.regions();
    assert.deepEqual(regions.map((r) => [r.id, r.leaderId]), [[1, 1], [2, 2], [3, 3]]);
    assert.equal(regions[1].replicas[1].zone, "z2");
    assert.equal(client.routes?.size, 3);
  });
});

test("routing: a split and a leader move mid-test are followed; writes land once", async () => {
  await withCluster(async (c, client) => {
    for (const k of LETTERS) await client.put(k, "1");
    const refreshes = client.routes?.refreshes ?? 0;
    c.split("k", 4, 3); // [g, k) stays region 2 on node 2; [k, p) is region 4 on node 3
    c.moveLeader(1, 2); // region 1's leader moves to node 2
    for (const k of LETTERS) await client.put(k, "2");
    assert.deepEqual(c.logs.get(1)?.writes, LETTERS.slice(0, 6), "node 1 served no new write");
    assert.deepEqual(c.logs.get(2)?.writes.slice(9), [...LETTERS.slice(0, 6), ..."ghij"]);
    assert.deepEqual(c.logs.get(3)?.writes.slice(11), [..."klmno", ...LETTERS.slice(15)]);
    const cached = client.routes?.all().map((r) => [r.id, fromUtf8(r.start), fromUtf8(r.end)]);
    assert.deepEqual(cached, [[1, "", "g"], [2, "g", "k"], [4, "k", "p"], [3, "p", ""]]);
    // The stale-route errors carried the new descriptors (key "g"'s EPOCH_NOT_MATCH on region 2
    // also carried its new right neighbour, region 4): no Regions round trip was needed.
    assert.equal(client.routes?.refreshes, refreshes);
    const page = await client.scan({ limit: 100 });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.value)), LETTERS.map(() => "2"));
    const revisions = new Set(page.items.map((i) => i.modRevision));
    assert.equal(revisions.size, 26, "each key written exactly once more");
  });
});

test("routing: a scan stitched across regions stays in order through a split mid-scan", async () => {
  await withCluster(async (c, client) => {
    for (const k of LETTERS) await client.put(k, k);
    await client.scan({ limit: 1 }); // learn the layout
    let scans = 0;
    c.beforeScan = () => {
      // After the first part: region 3 [p, "") splits at "t", region 2 [g, p) at "j".
      if (++scans === 1) {
        c.split("j", 5, 1);
        c.split("t", 6, 2);
      }
    };
    const forward = await client.scan({ limit: 1000 });
    assert.deepEqual(forward.items.map((i) => fromUtf8(i.key)), LETTERS);
    scans = 0;
    c.beforeScan = () => {
      if (++scans === 1) c.split("w", 7, 1);
    };
    assert.deepEqual(await scanAll(client, 3, true), [...LETTERS].reverse());
    const ids = client.routes?.all().map((r) => r.id);
    assert.deepEqual(ids, [1, 2, 5, 3, 6, 7]);
  });
});

test("routing: a scan at a revision reads every region at it", async () => {
  await withCluster(async (_c, client) => {
    for (const k of LETTERS) await client.put(k, "old");
    const at = (await client.scan({ limit: 1 })).revision;
    for (const k of LETTERS) await client.put(k, "new");
    const page = await client.scan({ revision: at, limit: 1000 });
    assert.equal(page.revision, at);
    assert.deepEqual(page.items.map((i) => fromUtf8(i.value)), LETTERS.map(() => "old"));
    const now = await client.scan({ limit: 1000 });
    assert.deepEqual(now.items.map((i) => fromUtf8(i.value)), LETTERS.map(() => "new"));
  });
});

test("routing: a route that never settles ends with a clear error, nothing applied", async () => {
  await withCluster(async (c, client) => {
    await client.put("a", "1");
    c.churn = true;
    await assert.rejects(client.put("a", "2"), (e: unknown) => {
      assert.ok(e instanceof TinyKvError);
      assert.equal(e.code, "EPOCH_NOT_MATCH");
      assert.match(e.message, /route kept changing: gave up after \d+ attempts/);
      assert.equal(e.outcomeUnknown, false);
      return true;
    });
    c.churn = false;
    assert.equal(fromUtf8(await client.get("a") ?? new Uint8Array(0)), "1");
  });
});

test("routing: the node refuses bad routes clearly and pages its Regions answer", async () => {
  await withCluster(async (c) => {
    const conn = await ClientConnection.open(platform.net, platform.clock, c.address(1));
    try {
      const call = (body: RequestBody, route?: RequestRoute) =>
        conn.call(body, { timeoutMs: 5000, route });
      const epoch = { version: 2n, confVer: 1n };
      const scan: RequestBody = { case: "scan", value: { start: utf8("e"), end: utf8("h") } };
      const crossing = await call(scan, { regionId: 1n, epoch });
      assert.equal(crossing.error?.code, ErrorCode.KEY_NOT_IN_REGION);
      assert.deepEqual(crossing.error?.regions.map((r) => Number(r.id)), [1, 2]);
      const huge = await call(scan, { regionId: 1n << 60n, epoch });
      assert.equal(huge.error?.code, ErrorCode.INVALID_ARGUMENT);
      const noEpoch = await call(scan, { regionId: 1n });
      assert.equal(noEpoch.error?.code, ErrorCode.EPOCH_NOT_MATCH);
      const page = await call({ case: "regions", value: { limit: 2 } });
      assert.equal(page.body.case, "regions");
      if (page.body.case === "regions") {
        assert.deepEqual(page.body.value.regions.map((r) => Number(r.id)), [1, 2]);
        assert.equal(page.body.value.more, true);
      }
      const rest = await call({ case: "regions", value: { start: utf8("p") } });
      assert.equal(rest.body.case === "regions" && rest.body.value.more, false);
    } finally {
      conn.close();
    }
  });
});
