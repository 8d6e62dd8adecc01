/**
 * The compiled ./tinykv runs its engine's flushes on the background worker
 * (docs/storage.md#background-worker): the embedded worker entry starts (the
 * node logs `engine.background mode=worker`), a flush forced by `tinykv
 * snapshot` writes a table through it, and the data is there after a restart.
 * Drives only the binary: runs under bun.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

const skip = BINARY_ONLY_SKIP !== false
  ? BINARY_ONLY_SKIP
  : fs.existsSync(BINARY)
  ? false
  : `${BINARY} is missing: run ./compile.sh first`;

async function until(what: string, ok: () => boolean, c: BinaryCluster): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), `${what}\n${c.logs()}`);
}

test("compiled binary: flushes run on the storage worker and survive a restart", {
  skip,
  timeout: 60_000,
}, async () => {
  const c = await BinaryCluster.start(1);
  try {
    await c.leader();
    const node = c.nodes.get(1);
    assert.ok(node !== undefined);
    await until("worker started", () => node.log.includes("engine.background mode=worker"), c);
    const client = c.client();
    for (let i = 0; i < 50; i++) await client.put(`k${i}`, `v${i}`);
    const snap = await c.cli("snapshot"); // compacts the Raft log: the engine flushes first
    assert.equal(snap.code, 0, snap.stderr);
    const kvDir = `${node.dataDir}/kv`;
    const tables = () => fs.readdirSync(kvDir).filter((n) => n.endsWith(".sst"));
    await until("a table written", () => tables().length > 0, c);
    await c.kill(1, "SIGTERM");
    c.spawn(1);
    await c.leader();
    for (let i = 0; i < 50; i += 7) {
      assert.equal(fromUtf8((await client.get(`k${i}`)) ?? new Uint8Array()), `v${i}`);
    }
    assert.doesNotMatch(c.logs(), /engine\.background mode=inline|database failed/);
    assert.deepEqual(c.unexpectedExits, []);
    client.close();
  } finally {
    await c.stop();
  }
});
