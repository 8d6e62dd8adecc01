/**
 * `File.syncNow` on this runtime's files (node_fs.ts under Bun, deno_fs.ts under Deno): the
 * fdatasync a follower's save runs on its own thread (src/raft/multi/round.ts). It returns once
 * the writes are synced, leaves the file usable, and fails as `sync` does, with an IoError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { IoError } from "../../src/util/errors.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";

test("syncNow syncs on the calling thread and fails like sync", async () => {
  const { fs } = getPlatform();
  const dir = makeTempDir("tinykv-syncnow-");
  try {
    const f = fs.open(`${dir}/log`, { create: true });
    assert.ok(f.syncNow !== undefined, "a runtime's file offers syncNow");
    f.write(0, new Uint8Array([1, 2, 3]));
    f.syncNow();
    f.append(new Uint8Array([4]));
    await f.sync();
    f.syncNow();
    assert.deepEqual([...f.read(0, 8)], [1, 2, 3, 4]);
    f.close();
    assert.deepEqual([...fs.readFile(`${dir}/log`)], [1, 2, 3, 4]);
    assert.throws(() => f.syncNow?.(), (err) => err instanceof IoError && /sync/.test(err.message));
  } finally {
    removeTempDir(dir);
  }
});
