/** TinyKV's side of bench:versus: the compiled binary as 1 or 3 nodes, and `tinykv bench`. */
import { BINARY, BinaryCluster } from "../../tests/e2e/binary_cluster.ts";
import { onCleanUp, runTool } from "./processes.ts";
import type { Measured } from "./report.ts";

export interface TinyKvCluster {
  readonly endpoints: string;
  /** The leader's RESP port (a follower would forward; the anchors are driven at the leader). */
  readonly leaderRespPort: number;
  readonly stop: () => Promise<void>;
}

/**
 * Starts `size` nodes of ./tinykv on free loopback ports, `extraArgs` on each, and waits for a
 * leader (≤ 10 s).
 */
export async function startTinyKv(
  size: number,
  extraArgs: string[] = [],
): Promise<TinyKvCluster> {
  const cluster = await BinaryCluster.start(size, extraArgs);
  const unregister = onCleanUp(() => cluster.stop());
  const stop = async () => {
    unregister();
    await cluster.stop();
  };
  try {
    const leader = await cluster.leader();
    const respPort = cluster.nodes.get(leader)?.respPort ?? 0;
    return { endpoints: cluster.endpoints, leaderRespPort: respPort, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface TinyKvLoad {
  readonly op: "put" | "get";
  readonly concurrency: number;
  readonly seconds: number;
  /** Seconds of the same load first, unmeasured, in the same client process (`--warmup`). */
  readonly warmupSeconds?: number;
}

/** `tinykv bench --json`: 100 B values over 1,000 keys; gets are linearizable. */
export async function runTinyKvBench(cluster: TinyKvCluster, load: TinyKvLoad): Promise<Measured> {
  const args = ["bench", "--json", "--op", load.op, "--concurrency", String(load.concurrency)];
  args.push("--duration", String(load.seconds), "--value-size", "100", "--keys", "1000");
  args.push("--consistency", "linearizable", "--endpoints", cluster.endpoints);
  const warmup = load.warmupSeconds ?? 0;
  args.push("--warmup", String(warmup));
  const out = await runTool(BINARY, args, ((load.seconds + warmup) * 3 + 60) * 1000);
  const r = JSON.parse(out) as {
    opsPerSecond: number;
    latencyMs: { p99: number };
    errors: Record<string, number>;
  };
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
  if (errors > 0) {
    console.error(`tinykv ${load.op} c=${load.concurrency}: errors ${JSON.stringify(r.errors)}`);
  }
  return { perSecond: r.opsPerSecond, p99Ms: r.latencyMs.p99 };
}
