/**
 * The split by load on three in-process nodes (src/server/node/region_load.ts): a region far below
 * its split size, written past `--region-split-load` writes a second for a whole window, splits at
 * the key that halves its writes; the two halves are not merged back while the writes go on,
 * though both are far below the merge size.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { startServer } from "../../src/server/server.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { freePorts, startCluster } from "./cluster_helpers.ts";
import { key, regionCounts } from "./region_split_helpers.ts";

const MIB = 1024 * 1024;

test("split by load: a hot region splits where its writes halve, and stays split", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, {
    regionSplitBytes: 64 * MIB,
    regionMergeBytes: 16 * MIB,
    regionSplitLoad: 30,
    splitCheckMs: 200,
  });
  try {
    await c.leader();
    const client = c.client();
    // Keys k0000..k0199 written evenly, 100+ writes a second (two bytes each): region 1 splits,
    // then each half, written past the load still, splits again.
    let i = 0;
    const write = () => client.put(key(i++ % 200), "v");
    const deadline = Date.now() + 40_000;
    while (regionCounts(c).some((n) => n < 3) && Date.now() < deadline) await write();
    assert.ok(regionCounts(c).every((n) => n >= 3), `split twice by load after ${i} writes`);
    // Each cut is a key written, near the middle of its region's writes: never the keyspace's.
    for (const r of (await client.regions()).slice(1)) {
      const at = Number(fromUtf8(r.start).slice(1));
      assert.ok(at > 0 && at < 200, `a cut at ${fromUtf8(r.start)}`);
    }
    // The halves, none region 1 (which never merges), are tiny and written on: the merge check
    // leaves them, or a split by load would undo each merge.
    const until = Date.now() + 4_000;
    while (Date.now() < until) await write();
    for (const s of c.servers.values()) {
      assert.equal(s.node.local.mergeCheck.counts.prepare, 0, "no merge prepared");
    }
    assert.ok(regionCounts(c).every((n) => n >= 2), "still split");
  } finally {
    await c.close();
  }
});

test("split by load: refused on a node that does not split", async () => {
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-load-");
  try {
    await assert.rejects(
      startServer(getPlatform(), {
        id: 1,
        peers: new Map([[1, `127.0.0.1:${port}`]]),
        dataDir: dir,
        regionSplitBytes: 0,
        regionSplitLoad: 100,
      }),
      /--region-split-load \(100\) needs splitting on: --region-split-bytes above 0/,
    );
  } finally {
    removeTempDir(dir);
  }
});
