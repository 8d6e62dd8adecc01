/**
 * Whether a node splits regions follows its flags, its data directory and its cluster
 * (src/server/node/region_setting.ts; decision 0020, "The setting follows the data directory").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { getPlatform } from "../../src/platform/detect.ts";
import { type RunningServer, type ServerConfig, startServer } from "../../src/server/server.ts";
import {
  REGION_SPLIT_BYTES_DEFAULT,
  RegionSettingError,
  resolveRegionSetting,
} from "../../src/server/node/region_setting.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { readIdentity } from "../../src/server/node/identity.ts";
import { REGION_MODE_ONE, REGION_MODE_SPLIT } from "../../src/server/peer/region_mode.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { FAST_ELECTIONS, freePorts, startCluster } from "./cluster_helpers.ts";
import { until } from "./region_split_helpers.ts";

const MIB = 1024 * 1024;
const BINARY = { splitDefault: REGION_SPLIT_BYTES_DEFAULT } as const;
const fresh = { marked: false, fresh: true, peerModes: [] } as const;
const unmarked = { marked: false, fresh: false, peerModes: [] } as const;

test("region setting: a new directory splits at the default, merging below a quarter", () => {
  assert.deepEqual(resolveRegionSetting({ ...fresh, ...BINARY }), {
    splits: true,
    splitBytes: 256 * MIB,
    mergeBytes: 64 * MIB,
  });
  // Without the binary's default (in-process nodes), a new directory runs one region.
  assert.deepEqual(resolveRegionSetting(fresh), { splits: false, splitBytes: 0, mergeBytes: 0 });
  const flagged = resolveRegionSetting({ ...fresh, ...BINARY, splitFlag: 4 * MIB });
  assert.deepEqual(flagged, { splits: true, splitBytes: 4 * MIB, mergeBytes: MIB });
  const off = resolveRegionSetting({ ...fresh, ...BINARY, splitFlag: 0 });
  assert.deepEqual(off, { splits: false, splitBytes: 0, mergeBytes: 0 }, "0 alone turns both off");
  const noMerge = resolveRegionSetting({ ...fresh, ...BINARY, mergeFlag: 0 });
  assert.deepEqual(noMerge, { splits: true, splitBytes: 256 * MIB, mergeBytes: 0 });
});

test("region setting: a new directory takes its cluster's mode from the peers' answers", () => {
  const one = resolveRegionSetting({ ...fresh, ...BINARY, peerModes: [REGION_MODE_ONE] });
  assert.equal(one.splits, false, "joining a one-region cluster");
  assert.equal(one.splitBytes, 0);
  const older = resolveRegionSetting({ ...fresh, ...BINARY, peerModes: [0, 0] });
  assert.equal(older.splits, false, "an older build's answer (0) is one region, as at the Hello");
  const split = resolveRegionSetting({ ...fresh, peerModes: [REGION_MODE_ONE, REGION_MODE_SPLIT] });
  assert.equal(split.splits, true, "a splitting peer: split, even without the default");
  const flag = resolveRegionSetting({ ...fresh, ...BINARY, splitFlag: 0, peerModes: [2] });
  assert.equal(flag.splits, false, "a flag is not overridden by the peers");
});

test("region setting: an existing directory keeps how it ran", () => {
  const old = resolveRegionSetting({ ...unmarked, ...BINARY, peerModes: [REGION_MODE_SPLIT] });
  assert.deepEqual(old, { splits: false, splitBytes: 0, mergeBytes: 0 }, "unmarked: one region");
  const upgraded = resolveRegionSetting({ ...unmarked, ...BINARY, splitFlag: MIB });
  assert.equal(upgraded.splits, true, "a flag above 0 turns splitting on");
  const marked = { ...unmarked, marked: true };
  assert.deepEqual(resolveRegionSetting({ ...marked, ...BINARY }), {
    splits: true,
    splitBytes: 256 * MIB,
    mergeBytes: 64 * MIB,
  });
  const stopped = resolveRegionSetting({ ...marked, ...BINARY, splitFlag: 0 });
  assert.deepEqual(stopped, { splits: true, splitBytes: 0, mergeBytes: 0 }, "splits no more");
});

test("region setting: a merge size above half the split size is refused, naming both flags", () => {
  for (
    const i of [
      { ...fresh, ...BINARY, mergeFlag: 129 * MIB },
      { ...fresh, ...BINARY, splitFlag: MIB, mergeFlag: MIB },
      { ...fresh, ...BINARY, splitFlag: 0, mergeFlag: 1 },
    ]
  ) {
    assert.throws(
      () => resolveRegionSetting(i),
      (e: unknown) =>
        e instanceof RegionSettingError &&
        /--region-merge-bytes .*--region-split-bytes/.test(e.message),
    );
  }
});

async function node(
  dir: string,
  port: number,
  more: Partial<ServerConfig>,
): Promise<RunningServer> {
  const peers = new Map([[1, `127.0.0.1:${port}`]]);
  return await startServer(getPlatform(), {
    id: 1,
    peers,
    dataDir: dir,
    ...FAST_ELECTIONS,
    ...more,
  });
}

/** Puts `k` through the protobuf port; resolves with its revision. */
async function put(port: number, value: string): Promise<number> {
  const p = getPlatform();
  const client = new TinyKvClient({
    endpoints: [`127.0.0.1:${port}`],
    net: p.net,
    clock: p.clock,
    seed: p.randomSeed(),
  });
  try {
    return await client.put("k", value);
  } finally {
    client.close();
  }
}

test("region setting: a node's directory remembers that it splits", async () => {
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-region-setting-");
  try {
    let s = await node(dir, port, { regionSplitDefault: REGION_SPLIT_BYTES_DEFAULT });
    assert.equal(s.node.status().regionMode, REGION_MODE_SPLIT, "a new directory splits");
    assert.equal(s.node.o.regionSplitBytes, REGION_SPLIT_BYTES_DEFAULT);
    assert.equal(s.node.o.regionMergeBytes, REGION_SPLIT_BYTES_DEFAULT / 4);
    await s.close();
    assert.match(fs.readFileSync(`${dir}/IDENTITY`, "utf8"), /\nregions split\n$/);
    assert.equal(readIdentity(getPlatform().fs, dir)?.regionsSplit, true);
    // Without the binary's default, and with the flag at 0: the directory still splits (its
    // revisions are timestamps), it only proposes no split.
    for (const more of [{}, { regionSplitBytes: 0 }]) {
      s = await node(dir, port, more);
      assert.equal(s.node.status().regionMode, REGION_MODE_SPLIT, JSON.stringify(more));
      assert.equal(s.node.o.regionSplitBytes, 0);
      await s.close();
    }
  } finally {
    removeTempDir(dir);
  }
});

test("region setting: a directory that ran one region keeps it until told to split", async () => {
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-region-setting-");
  try {
    let s = await node(dir, port, {});
    await until("node 1 leads", () => s.node.status().role === "leader");
    const first = await put(port, "v");
    assert.equal(s.node.status().regionMode, REGION_MODE_ONE);
    await s.close();
    assert.doesNotMatch(fs.readFileSync(`${dir}/IDENTITY`, "utf8"), /regions/);

    s = await node(dir, port, { regionSplitDefault: REGION_SPLIT_BYTES_DEFAULT });
    assert.equal(s.node.status().regionMode, REGION_MODE_ONE, "the default does not upgrade");
    assert.equal(s.node.o.regionSplitBytes, 0);
    await until("node 1 leads", () => s.node.status().role === "leader");
    const second = await put(port, "w");
    assert.ok(second > first && second < first + 100, `revisions are still log indexes: ${second}`);
    await s.close();
    assert.doesNotMatch(fs.readFileSync(`${dir}/IDENTITY`, "utf8"), /regions/);

    s = await node(dir, port, {
      regionSplitDefault: REGION_SPLIT_BYTES_DEFAULT,
      regionSplitBytes: MIB,
    });
    assert.equal(s.node.status().regionMode, REGION_MODE_SPLIT, "the flag upgrades");
    await s.close();
    assert.equal(readIdentity(getPlatform().fs, dir)?.regionsSplit, true);
  } finally {
    removeTempDir(dir);
  }
});

test("region setting: a new node takes its cluster's mode, so its peers let it in", {
  timeout: 60_000,
}, async () => {
  for (const clusterSplits of [false, true]) {
    // Nodes 1 and 2 run as told; node 3, started last with a new directory and no flag, takes
    // their mode (with the binary's default it would split; without it, run one region).
    const logs: string[] = [];
    const c = await startCluster(3, 20, undefined, (id) =>
      id === 3
        ? {
          regionSplitDefault: clusterSplits ? undefined : REGION_SPLIT_BYTES_DEFAULT,
          log: (line: string) => logs.push(line),
        }
        : { regionSplitBytes: clusterSplits ? 64 * MIB : 0 });
    try {
      const want = clusterSplits ? REGION_MODE_SPLIT : REGION_MODE_ONE;
      for (const id of [1, 2, 3]) {
        assert.equal(c.servers.get(id)?.node.status().regionMode, want, `node ${id}`);
      }
      const client = c.client([1, 2]);
      await client.put("k", "v");
      const third = c.servers.get(3)?.node;
      await until("node 3 applied the write", () => (third?.kv.revision ?? 0) > 0);
      assert.deepEqual(logs.filter((l) => l.includes("peer.refused")), []);
    } finally {
      await c.close();
    }
  }
});

test("region setting: a new joining node waits for its cluster to answer before choosing", {
  timeout: 60_000,
}, async () => {
  // A one-region cluster, both nodes down when node 3 (new directory, --join, no flag, the
  // binary's default) starts: it asks again until they answer, then runs one region as they do.
  const c = await startCluster(
    2,
    20,
    undefined,
    (id) => id === 3 ? { regionSplitDefault: REGION_SPLIT_BYTES_DEFAULT } : { regionSplitBytes: 0 },
  );
  try {
    await c.stop(1);
    await c.stop(2);
    const joining = c.startJoining(3);
    await new Promise((r) => setTimeout(r, 1_500)); // node 3 has asked and found no one
    await c.start(1);
    await c.start(2);
    await joining;
    assert.equal(c.servers.get(3)?.node.status().regionMode, REGION_MODE_ONE);
    assert.equal(c.servers.get(3)?.node.o.regionSplitBytes, 0);
  } finally {
    await c.close();
  }
});
