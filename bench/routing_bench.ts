/**
 * What routing by region costs on today's one-region node (docs/regions.md#routing): the same
 * closed-loop load through a client with `routing: true` and one without, alternated (plain,
 * routed, plain, routed, ...) on one in-process single node, so both see the same machine load.
 * Reports requests/s and the process's CPU time per request (node and client share the process,
 * so this is the whole cost of a request). Prints markdown for bench/RESULTS.md.
 *
 *   deno run -A bench/routing_bench.ts [--duration 3] [--concurrency 16] [--rounds 2]
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { getPlatform } from "../src/platform/detect.ts";
import { startServer } from "../src/server/server.ts";
import { TinyKvClient } from "../src/client/tinykv_client.ts";
import { freePorts } from "../tests/server/cluster_helpers.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "2" },
  },
});
const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
const platform = getPlatform();

type Op = "put" | "get" | "scan";

async function load(client: TinyKvClient, op: Op): Promise<{ perSecond: number; cpuUs: number }> {
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  let done = 0;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() - t0 < durationMs; i++) {
      const key = `k${(w * 7919 + i) % 1000}`;
      if (op === "put") await client.put(key, "v".repeat(64));
      else if (op === "get") await client.get(key);
      else await client.scan({ start: key, limit: 20 });
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuUsage(cpu0);
  return { perSecond: Math.round(done / seconds), cpuUs: (cpu.user + cpu.system) / done };
}

const [port] = await freePorts(1);
const dir = makeTempDir("tinykv-routing-bench-");
const address = `127.0.0.1:${port}`;
const server = await startServer(platform, { id: 1, peers: new Map([[1, address]]), dataDir: dir });
const clientOf = (routing: boolean) =>
  new TinyKvClient({
    endpoints: [address],
    net: platform.net,
    clock: platform.clock,
    seed: routing ? 2 : 1, // distinct client ids: each has its own retry session
    routing,
  });
const plain = clientOf(false);
const routed = clientOf(true);
const rows: string[] = [];
try {
  for (let i = 0; i < 1000; i++) await plain.put(`k${i}`, "v".repeat(64));
  for (const op of ["put", "get", "scan"] as const) {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const [name, client] of [["plain", plain], ["routed", routed]] as const) {
        const r = await load(client, op);
        console.error(`${op} ${name}: ${r.perSecond}/s, ${r.cpuUs.toFixed(1)} µs CPU per request`);
        rows.push(`| ${op} | ${name} | ${round + 1} | ${r.perSecond} | ${r.cpuUs.toFixed(1)} |`);
      }
    }
  }
} finally {
  plain.close();
  routed.close();
  await server.close();
  removeTempDir(dir);
}
console.log(describeMachine());
console.log(`\nconcurrency ${concurrency}, ${values.duration} s per run\n`);
console.log("| op | client | round | requests/s | CPU µs per request |");
console.log("| --- | --- | --- | --- | --- |");
console.log(rows.join("\n"));
