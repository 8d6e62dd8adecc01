/**
 * `--log-format`, `--log-level` and `--slow-request-ms` on a node run in-process
 * through `serve` (src/cli/serve.ts): bad values are usage errors, and a node
 * started with `--log-format json` writes JSON lines to stderr.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { serve, type ServeFlags } from "../../src/cli/serve.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { freePorts } from "../server/cluster_helpers.ts";

test("serve: bad log flags are usage errors, before anything starts", async () => {
  const dir = makeTempDir("tinykv-logflags-");
  try {
    const cases: [ServeFlags, RegExp][] = [
      [{ "log-format": "xml" }, /--log-format must be text or json/],
      [{ "log-level": "trace" }, /--log-level must be debug, info, warn or error/],
      [{ "log-level": "INFO" }, /--log-level must be/],
      [{ "slow-request-ms": "fast" }, /--slow-request-ms must be a non-negative integer/],
      [{ "slow-request-ms": "-1" }, /--slow-request-ms must be/],
      [{ "region-split-bytes": "64MiB" }, /--region-split-bytes must be a non-negative integer/],
    ];
    for (const [flags, message] of cases) {
      await assert.rejects(
        serve({ ...flags, "data-dir": dir }, getPlatform(), captureHost()),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    }
  } finally {
    removeTempDir(dir);
  }
});

test("serve: --log-format json writes one JSON object per line to stderr", {
  timeout: 30_000,
}, async () => {
  const dir = makeTempDir("tinykv-logjson-");
  const [kv, http, resp] = await freePorts(3);
  let shutdown = () => {};
  const host = captureHost();
  host.onShutdown = (fn) => shutdown = fn;
  const running = serve(
    {
      id: "1",
      peers: `1=127.0.0.1:${kv}`,
      "data-dir": dir,
      "http-port": String(http),
      "resp-port": String(resp),
      "log-format": "json",
      "log-level": "debug",
    },
    getPlatform(),
    host,
  );
  try {
    for (let i = 0; i < 500 && !host.err.includes('"leader.changed"'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    shutdown();
    assert.equal(await running, 0);
    removeTempDir(dir);
  }
  const lines = host.err.trim().split("\n").map((l) => JSON.parse(l));
  const events = lines.map((l) => l.event);
  assert.ok(events.includes("election.won"), host.err);
  const won = lines.find((l) => l.event === "election.won");
  assert.deepEqual(Object.keys(won), ["ts", "level", "event", "fields"]);
  assert.equal(won.level, "info");
  assert.equal(won.fields.votes, "1/1");
  assert.match(won.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(host.out, /tinykv: node 1 serving/);
});
