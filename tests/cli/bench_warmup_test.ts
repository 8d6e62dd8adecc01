/**
 * `tinykv bench --warmup S`: the same load runs S seconds first and is not counted, so the summary
 * holds only the measured operations while the cluster took more writes than that.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bench } from "../../src/cli/bench.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { capturingHost } from "./capturing_host.ts";
import { startCluster } from "../server/cluster_helpers.ts";
import { UsageError } from "../../src/cli/usage_error.ts";

test("bench: --warmup runs the load first and counts only the measured operations", {
  timeout: 30_000,
}, async () => {
  const c = await startCluster(1);
  try {
    await c.leader();
    const client = c.client();
    const out: string[] = [];
    const flags = { op: "put", count: "40", concurrency: "2", warmup: "1", json: true };
    const code = await bench(flags, client, getPlatform(), capturingHost(out));
    const summary = JSON.parse(out.join(""));
    assert.equal(code, 0);
    assert.deepEqual(summary.errors, {});
    assert.equal(summary.ops, 40);
    // Each put is one revision: a second of warm-up on a local node writes far more than 10.
    const revision = await client.put("after", "x");
    assert.ok(revision > 50, `revision ${revision}: the warm-up wrote nothing`);
  } finally {
    await c.close();
  }
});

test("bench: --warmup outside 0..600 is refused before any load", async () => {
  const platform = getPlatform();
  const host = capturingHost([]);
  for (const warmup of ["-1", "601", "x"]) {
    await assert.rejects(
      // No client is touched: the flags are checked first.
      bench({ warmup }, undefined as never, platform, host),
      (err: unknown) => err instanceof UsageError && /--warmup must be 0\.\.600/.test(err.message),
    );
  }
});
