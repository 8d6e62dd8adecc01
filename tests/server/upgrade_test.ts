/**
 * Upgrading to the multi-region driver (docs/raft.md "From one group to
 * region 1"): a node whose data directory has the single-group Raft log of
 * the build before regions (`raft/`) opens, migrates it into the shared log
 * as region 1, keeps its data and rejoins its cluster, catching up on the
 * writes it missed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { removeTree } from "../../src/platform/fs_tree.ts";
import type { FileSystem } from "../../src/platform/types.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";

const text = (v: Uint8Array | undefined) => v === undefined ? undefined : fromUtf8(v);

/** Rewrites a stopped node's shared log as the old layout: `raft/` holding region 1's log. */
async function downgradeLog(fs: FileSystem, dataDir: string): Promise<number> {
  const shared = await MultiLogStore.open(fs, `${dataDir}/raftlog`);
  const s = shared.group(1).storage;
  const old = await LogStore.open(fs, `${dataDir}/raft`);
  try {
    const snap = s.snapshot();
    const entries = s.lastIndex() >= s.firstIndex()
      ? s.entries(s.firstIndex(), s.lastIndex() + 1, Number.MAX_SAFE_INTEGER)
      : [];
    const snapshot = snap.metadata.index > 0 ? snap : undefined;
    await old.save({ hardState: undefined, entries, snapshot, mustSync: true });
    old.setConfState(s.confState);
    await old.save({ hardState: s.hardState, entries: [], snapshot: undefined, mustSync: true });
    return s.lastIndex();
  } finally {
    old.close();
    shared.close();
    removeTree(fs, `${dataDir}/raftlog`);
  }
}

test("upgrade: a node with the old single-group log migrates it, keeps its data and rejoins", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const client = c.client();
    for (let i = 0; i < 30; i++) await client.put(`u${i}`, `v${i}`);
    const leader = await c.leader();
    const victim = [1, 2, 3].find((id) => id !== leader) ?? 0;
    // Everything is applied on the victim before it stops (its own linearizable read).
    assert.equal(text(await c.client([victim]).get("u29")), "v29");
    await c.stop(victim);
    const fs = getPlatform().fs;
    const dir = c.dirs.get(victim) ?? "";
    assert.ok((await downgradeLog(fs, dir)) >= 30, "the old log holds the writes");
    assert.deepEqual(fs.list(dir).filter((n) => n.startsWith("raft")), ["raft"]);
    for (let i = 30; i < 40; i++) await client.put(`u${i}`, `v${i}`);

    await c.start(victim);
    const names = fs.list(dir).filter((n) => n.startsWith("raft"));
    assert.deepEqual(names, ["raftlog"], "the old log was moved into the shared log");
    const rejoined = c.client([victim]);
    for (let i = 0; i < 40; i++) assert.equal(text(await rejoined.get(`u${i}`)), `v${i}`);
    const local = c.servers.get(victim)?.node;
    assert.ok((local?.kv.keyCount ?? 0) >= 40, "the victim's own engine holds every key");
  } finally {
    await c.close();
  }
});
