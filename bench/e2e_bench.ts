/**
 * End-to-end benchmark of the compiled binary: clusters of the given sizes on
 * loopback, `./tinykv bench --json` as a separate load process, and
 * redis-benchmark against the RESP port next to a local redis-server with
 * appendfsync always. Prints a markdown table for bench/RESULTS.md.
 *
 *   deno run -A bench/e2e_bench.ts [--nodes 1,3,5,7] [--ops put,get,mixed]
 *     [--concurrency 1,16,64] [--value-size 100,4096] [--duration 5] [--redis]
 *
 * Requires ./tinykv (./compile.sh) and, for --redis, redis-server and
 * redis-benchmark (Debian: apt-get install redis-server).
 */
import { execFile } from "node:child_process";
import * as os from "node:os";
import { parseArgs } from "node:util";
import { BINARY, BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import { describeMachine } from "./machine.ts";
import { startRedis } from "./versus/redis.ts";
import { cleanUp } from "./versus/processes.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "1,3,5,7" },
    ops: { type: "string", default: "put,get,mixed" },
    concurrency: { type: "string", default: "1,16,64" },
    "value-size": { type: "string", default: "100,4096" },
    duration: { type: "string", default: "5" },
    "read-modes": { type: "string", default: "linearizable,lease" },
    redis: { type: "boolean", default: false },
  },
});
const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err && stdout === "") reject(new Error(`${cmd} failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

interface Row {
  nodes: number;
  op: string;
  mode: string;
  concurrency: number;
  valueSize: number;
  opsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; p999: number; max: number };
  errors: Record<string, number>;
}

/** One cluster per read mode: lease reads need nodes started with --read-mode lease. */
async function clusterRows(nodes: number, mode: string): Promise<Row[]> {
  const rows: Row[] = [];
  const c = await BinaryCluster.start(nodes, ["--read-mode", mode]);
  const writesHere = mode === list(values["read-modes"])[0]; // writes: measured once
  try {
    await c.leader();
    for (const op of list(values.ops).filter((o) => o !== "put" || writesHere)) {
      for (const conc of list(values.concurrency).map(Number)) {
        for (const size of list(values["value-size"]).map(Number)) {
          const args = ["bench", "--json", "--op", op, "--concurrency", String(conc)];
          args.push("--duration", values.duration, "--value-size", String(size));
          args.push("--keys", "2000", "--endpoints", c.endpoints);
          const shown = op === "put" ? "-" : mode;
          const r = JSON.parse(await run(BINARY, args));
          rows.push({ nodes, op, mode: shown, concurrency: conc, valueSize: size, ...r });
          const p99 = r.latencyMs.p99;
          const load = os.loadavg()[0].toFixed(2);
          console.error(
            `nodes=${nodes} ${op} ${shown} c=${conc} v=${size}: ${r.opsPerSecond}/s p99 ${p99}` +
              ` (load ${load})`,
          );
        }
      }
    }
  } finally {
    await c.stop();
  }
  return rows;
}

function table(rows: Row[]): string {
  const out = [
    "| nodes | op | reads | conc | value | ops/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | errors |",
    "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const l = r.latencyMs;
    const errs = Object.keys(r.errors).length === 0 ? "0" : JSON.stringify(r.errors);
    out.push(
      `| ${r.nodes} | ${r.op} | ${r.mode} | ${r.concurrency} | ${r.valueSize} | ${r.opsPerSecond} | ${l.p50} | ${l.p95} | ${l.p99} | ${l.p999} | ${l.max} | ${errs} |`,
    );
  }
  return out.join("\n");
}

async function redisBench(port: number, pipeline: number): Promise<string> {
  const out = await run("redis-benchmark", [
    "-p",
    String(port),
    "-t",
    "set,get",
    "-c",
    "50",
    "-P",
    String(pipeline),
    "-n",
    "50000",
    "-q",
  ]);
  // Progress lines end in \r; keep the final "CMD: N requests per second, p50=…" lines.
  return out.split(/[\r\n]+/).map((l) => l.trim())
    .filter((l) => /^\w+: [\d.]+ requests per second/.test(l)).join("; ");
}

async function redisComparison(): Promise<string> {
  const lines = ["| server | -P | result |", "| --- | ---: | --- |"];
  const c = await BinaryCluster.start(3);
  try {
    const leader = await c.leader();
    const port = c.nodes.get(leader)?.respPort ?? 0;
    for (const p of [1, 16]) {
      lines.push(`| TinyKV 3 nodes (leader's RESP port) | ${p} | ${await redisBench(port, p)} |`);
    }
  } finally {
    await c.stop();
  }
  const redis = await startRedis(); // appendfsync always, answers PING before the load starts
  try {
    for (const p of [1, 16]) {
      lines.push(`| redis-server appendfsync always | ${p} | ${await redisBench(redis.port, p)} |`);
    }
  } finally {
    await cleanUp(); // stops redis-server and removes its data dir
  }
  return lines.join("\n");
}

console.log(describeMachine());
const rows: Row[] = [];
for (const n of list(values.nodes).map(Number)) {
  for (const mode of list(values["read-modes"])) rows.push(...await clusterRows(n, mode));
}
console.log(table(rows));
if (values.redis) console.log("\n" + await redisComparison());
