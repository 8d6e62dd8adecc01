/**
 * Watch fan-out: an in-process 3-node cluster (tests/server/cluster_helpers.ts),
 * W watchers on one prefix spread over the three nodes (one client per node), and
 * a writer putting keys under the prefix with C writes in flight. Reports events
 * delivered per second (over all watchers) and delivery latency (put issued →
 * event received) p50/p99. Nodes, writer and watchers share one process and one
 * event loop, so the numbers are for the whole of it. Prints a markdown table.
 *
 *   deno run -A bench/watch_bench.ts [--watchers 1,100,1000] [--writes 2000]
 *     [--concurrency 16] [--value-size 100]
 */
import { parseArgs } from "node:util";
import type { TinyKvClient } from "../src/client/tinykv_client.ts";
import { startCluster } from "../tests/server/cluster_helpers.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    watchers: { type: "string", default: "1,100,1000" },
    writes: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
    "value-size": { type: "string", default: "100" },
  },
});

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

interface Row {
  watchers: number;
  writes: number;
  eventsPerSecond: number;
  writesPerSecond: number;
  p50: number;
  p99: number;
}

async function runOnce(watchers: number, writes: number, concurrency: number, size: number) {
  const c = await startCluster(3);
  const clients: TinyKvClient[] = [...c.peers.keys()].map((id) => c.client([id]));
  try {
    await c.leader();
    const writer = c.client();
    await writer.put("warmup", "x");
    const issued = new Map<string, number>();
    const latencies: number[] = [];
    let delivered = 0;
    const total = watchers * writes;
    let allDone: () => void = () => {};
    const done = new Promise<void>((r) => allDone = r);
    const watches = Array.from({ length: watchers }, (_, i) => {
      const w = clients[i % clients.length].watch({ prefix: "b/" });
      void (async () => {
        for await (const u of w) {
          const now = performance.now();
          for (const e of u.events) {
            const at = issued.get(new TextDecoder().decode(e.key));
            if (at !== undefined) latencies.push(now - at);
            if (++delivered === total) allDone();
          }
        }
      })();
      return w;
    });
    // Every watch is open (its stream created) before the first measured write.
    for (let i = 0; i < 500 && watches.some((w) => w.nextRevision === 0); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const value = "v".repeat(size);
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < writes) {
        const key = `b/${String(next++).padStart(8, "0")}`;
        issued.set(key, performance.now());
        await writer.put(key, value);
      }
    }));
    const wrote = performance.now();
    await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
    const end = performance.now();
    watches.forEach((w) => w.cancel());
    latencies.sort((a, b) => a - b);
    return {
      watchers,
      writes,
      eventsPerSecond: Math.round(delivered / ((end - start) / 1000)),
      writesPerSecond: Math.round(writes / ((wrote - start) / 1000)),
      p50: Number(percentile(latencies, 0.5).toFixed(1)),
      p99: Number(percentile(latencies, 0.99).toFixed(1)),
      missing: total - delivered,
    };
  } finally {
    await c.close();
  }
}

const rows: (Row & { missing: number })[] = [];
for (const w of values.watchers.split(",").map(Number)) {
  const row = await runOnce(
    w,
    Number(values.writes),
    Number(values.concurrency),
    Number(values["value-size"]),
  );
  console.error(JSON.stringify(row));
  rows.push(row);
}
console.log(describeMachine());
console.log("");
console.log("| watchers | writes | writes/s | events delivered/s | latency p50 ms | p99 ms |");
console.log("| -------: | -----: | -------: | -----------------: | -------------: | -----: |");
for (const r of rows) {
  const miss = r.missing > 0 ? ` (${r.missing} missing)` : "";
  console.log(
    `| ${r.watchers} | ${r.writes} | ${r.writesPerSecond} | ${r.eventsPerSecond}${miss} | ` +
      `${r.p50} | ${r.p99} |`,
  );
}
