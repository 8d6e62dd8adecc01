/**
 * The first hour, measured with the compiled binary: how long after a node's startup line
 * (its ports open) the first write is acknowledged — a single node, and a fresh 3-node cluster
 * whose nodes start together. Prints one line per run and the median and max.
 *
 *   deno run -A bench/first_write_bench.ts [--runs 5] [--binary PATH]
 *
 * Requires ./tinykv (./compile.sh), or another build given by --binary (a before/after run).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { getPlatform } from "../src/platform/detect.ts";
import { TinyKvClient } from "../src/client/tinykv_client.ts";
import { BINARY } from "../tests/e2e/binary_cluster.ts";
import { freePorts } from "../tests/server/cluster_helpers.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    binary: { type: "string", default: BINARY },
  },
});

/** Starts node `id`; resolves at its startup line (performance.now() then). */
function startNode(id: number, peers: string, ports: number[], dir: string) {
  const proc = spawn(values.binary, [
    "--id",
    String(id),
    "--peers",
    peers,
    "--data-dir",
    dir,
    "--http-port",
    String(ports[0]),
    "--resp-port",
    String(ports[1]),
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const serving = new Promise<number>((resolve, reject) => {
    proc.stdout?.on("data", (d: Uint8Array) => {
      if (new TextDecoder().decode(d).includes("serving")) resolve(performance.now());
    });
    proc.on("exit", (code) => reject(new Error(`node ${id} exited with ${code}`)));
  });
  return { proc, serving };
}

async function firstWriteMs(size: number): Promise<number> {
  const ports = await freePorts(size * 3);
  const peers = Array.from({ length: size }, (_, i) => `${i + 1}=127.0.0.1:${ports[i]}`);
  const dirs = peers.map(() => makeTempDir("tinykv-first-write-"));
  const procs: ChildProcess[] = [];
  const platform = getPlatform();
  const client = new TinyKvClient({
    endpoints: peers.map((p) => p.slice(p.indexOf("=") + 1)),
    net: platform.net,
    clock: platform.clock,
    seed: 1,
  });
  try {
    const nodes = peers.map((_, i) =>
      startNode(i + 1, peers.join(","), [ports[size + i], ports[2 * size + i]], dirs[i])
    );
    procs.push(...nodes.map((n) => n.proc));
    // From the last startup line: every port of the cluster is open.
    const open = Math.max(...await Promise.all(nodes.map((n) => n.serving)));
    await client.put("first", "write");
    return performance.now() - open;
  } finally {
    client.close();
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(
      procs.map((p) => new Promise((r) => p.exitCode !== null ? r(0) : p.on("exit", r))),
    );
    for (const d of dirs) removeTempDir(d);
  }
}

for (const size of [1, 3]) {
  const times: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) times.push(await firstWriteMs(size));
  times.sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(1);
  console.log(
    `${size} node(s): first write ${times.map(fmt).join(", ")} ms after the ports opened ` +
      `(median ${fmt(times[Math.floor(times.length / 2)])}, max ${fmt(times[times.length - 1])})`,
  );
}
