/**
 * The first hour with the binary (docs/operations.md, "Starting a node"): a node that is not a
 * member exits with one line; a restart with `localhost` for `127.0.0.1` keeps its identity; the
 * startup line names bound addresses; the client commands' messages. One shared 3-node cluster.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { freePorts } from "../server/cluster_helpers.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BINARY, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const SERVING =
  /tinykv: node 1 serving — protobuf 127\.0\.0\.1:\d+, RESP 127\.0\.0\.1:\d+, HTTP http:\/\/127\.0\.0\.1:\d+\/status\n/;

test("binary: not a member exits 1 with one line; localhost restart; CLI messages", {
  skip: BINARY_ONLY_SKIP,
  timeout: 90_000,
}, async () => {
  const c = await BinaryCluster.start(3);
  const dir = makeTempDir("tinykv-node4-");
  try {
    await c.leader();
    assert.match(c.nodes.get(1)?.log ?? "", SERVING);

    // Node 4 lists itself but was never added: one line, exit 1, nothing written.
    const [port4, http4, resp4] = await freePorts(3);
    const node4 = await run(
      "--id",
      "4",
      "--peers",
      `${c.peersFlag},4=127.0.0.1:${port4}`,
      "--data-dir",
      `${dir}/d`,
      "--http-port",
      String(http4),
      "--resp-port",
      String(resp4),
    );
    assert.equal(node4.code, 1, node4.stderr);
    assert.match(
      node4.stderr,
      /^tinykv: node 4 is not a member of cluster [0-9a-f]{16} \(members 1,2,3\): .*tinykv member add 4 127\.0\.0\.1:\d+.*--join.*\n$/,
    );
    assert.equal(fs.existsSync(`${dir}/d`), false, "a refused node writes nothing");

    // The same cluster id after node 1 restarts with every host spelled `localhost`.
    const before = await (await fetch(`http://127.0.0.1:${c.nodes.get(1)?.httpPort}/status`))
      .json();
    assert.match(before.clusterId, /^[0-9a-f]{16}$/);
    await c.kill(1, "SIGTERM");
    c.peersFlagOf.set(1, c.peersFlag.replaceAll("127.0.0.1", "localhost"));
    c.nodes.get(1)!.log = "";
    c.spawn(1);
    for (let i = 0; i < 200 && !SERVING.test(c.nodes.get(1)?.log ?? ""); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(c.nodes.get(1)?.log ?? "", SERVING, "localhost resolved; the same identity");
    const after = await (await fetch(`http://127.0.0.1:${c.nodes.get(1)?.httpPort}/status`)).json();
    assert.equal(after.clusterId, before.clusterId);
    assert.deepEqual(c.unexpectedExits, []);

    // scan says where the next page starts; stdout keeps only the data.
    for (const k of ["a", "b", "c"]) assert.equal((await c.cli("put", `s/${k}`, k)).code, 0);
    const scan = await c.cli("scan", "s/", "--limit", "2");
    assert.equal(scan.stdout, "s/a\ta\ns/b\tb\n");
    assert.match(
      scan.stderr,
      /^tinykv: scan stopped at --limit 2; .* --offset 2 --revision \d+\n$/,
    );

    // A dead endpoint: one line naming the address once, within --timeout.
    const [dead] = await freePorts(1);
    const get = await run("get", "k", "--endpoints", `127.0.0.1:${dead}`, "--timeout", "300ms");
    assert.equal(get.code, 1);
    assert.equal(get.stderr.split("\n").length, 2, get.stderr);
    assert.equal(get.stderr.split(`127.0.0.1:${dead}`).length, 2, get.stderr);

    // A --peers name that does not resolve is a usage error naming it.
    const bad = await run("--peers", "1=no-such-host.invalid:7001", "--data-dir", `${dir}/bad`);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^tinykv: --peers host 'no-such-host\.invalid' \(node 1\) does not resolve/,
    );
    const badTimeout = await c.cli("get", "k", "--timeout", "soon");
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /--timeout must be a duration like 500ms, 2s or 1m/);
  } finally {
    await c.stop();
    removeTempDir(dir);
  }
});
