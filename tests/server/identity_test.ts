/**
 * The data directory's identity (src/server/node/identity.ts): a v1 file is kept and
 * rewritten as v2, and `localhost` vs `127.0.0.1` in --peers no longer matters on restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { getPlatform } from "../../src/platform/detect.ts";
import { startServer } from "../../src/server/server.ts";
import { newClusterId, readIdentity, writeIdentity } from "../../src/server/node/identity.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { freePorts } from "./cluster_helpers.ts";

test("identity: a v1 file is migrated keeping its id; the --peers host text does not matter", async () => {
  const platform = getPlatform();
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-identity-");
  try {
    fs.writeFileSync(`${dir}/IDENTITY`, "tinykv-identity v1\ncluster 0a1b2c3d\nnode 1\n");
    for (const host of ["localhost", "127.0.0.1", "localhost"]) {
      const peers = new Map([[1, `${host}:${port}`]]);
      const s = await startServer(platform, { id: 1, peers, dataDir: dir });
      assert.equal(s.node.status().clusterId, "0a1b2c3d", `restart with ${host}`);
      await s.close();
    }
    assert.equal(
      fs.readFileSync(`${dir}/IDENTITY`, "utf8"),
      "tinykv-identity v2\ncluster 0a1b2c3d\nnode 1\n",
    );
  } finally {
    removeTempDir(dir);
  }
});

test("identity: a new cluster's id comes from its voter ids and token, not addresses", async () => {
  const a = newClusterId([3, 1, 2], "t");
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(newClusterId([1, 2, 3], "t"), a);
  assert.notEqual(newClusterId([1, 2, 3], "other"), a);
  assert.notEqual(newClusterId([1, 2, 3, 4], "t"), a);
  const platform = getPlatform();
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-identity-");
  try {
    const s = await startServer(platform, {
      id: 1,
      peers: new Map([[1, `localhost:${port}`]]),
      dataDir: dir,
      clusterToken: "t",
    });
    await s.close();
    assert.deepEqual(readIdentity(platform.fs, dir), {
      clusterId: newClusterId([1], "t"),
      nodeId: 1,
      version: 2,
      regionsSplit: false,
      joined: false,
    });
  } finally {
    removeTempDir(dir);
  }
});

test("identity: the joined mark is written and read back, beside the split mark", async () => {
  const platform = getPlatform();
  const dir = makeTempDir("tinykv-identity-");
  try {
    await writeIdentity(platform.fs, dir, { clusterId: undefined, nodeId: 4, joined: true });
    assert.equal(readIdentity(platform.fs, dir)?.joined, true);
    assert.equal(readIdentity(platform.fs, dir)?.clusterId, undefined);
    await writeIdentity(platform.fs, dir, {
      clusterId: "00112233aabbccdd",
      nodeId: 4,
      regionsSplit: true,
      joined: true,
    });
    const back = readIdentity(platform.fs, dir);
    assert.deepEqual(back, {
      clusterId: "00112233aabbccdd",
      nodeId: 4,
      version: 2,
      regionsSplit: true,
      joined: true,
    });
  } finally {
    removeTempDir(dir);
  }
});
