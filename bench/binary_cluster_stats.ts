/**
 * What the sharding benchmarks read from a running binary cluster (tests/e2e/binary_cluster.ts):
 * its regions as `GET /regions` lists them, each node's CPU from /proc, and `tinykv bench` runs
 * against it, parsed from `--json`.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { BINARY, type BinaryCluster } from "../tests/e2e/binary_cluster.ts";

export interface BenchRun {
  ops: number;
  opsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  errors: Record<string, number>;
}

export interface RegionView {
  leader: number | null;
}

/**
 * Runs `tinykv bench --json ARGS --endpoints E` (with `binary`, ./tinykv by default) and resolves
 * with its summary.
 */
export function runBench(
  endpoints: string,
  args: readonly string[],
  binary = BINARY,
): Promise<BenchRun> {
  const all = ["bench", "--json", ...args, "--endpoints", endpoints];
  return new Promise((resolve, reject) => {
    execFile(binary, all, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (stdout.trim() === "") reject(new Error(`tinykv bench failed: ${err} ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** The regions node `id` lists (none if it did not answer within 2 s). */
export async function regionsOf(c: BinaryCluster, id: number): Promise<RegionView[]> {
  const port = c.nodes.get(id)?.httpPort;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/regions`, {
      headers: c.adminHeaders(),
      signal: AbortSignal.timeout(2000),
    });
    const body = await res.json() as { regions?: RegionView[] };
    return body.regions ?? [];
  } catch {
    return [];
  }
}

/** Leaders per node over `regions`, as "1: 3, 2: 4, 3: 2". */
export function leadersPerNode(c: BinaryCluster, regions: readonly RegionView[]): string {
  const leaders = new Map<number, number>();
  for (const r of regions) {
    if (r.leader !== null) leaders.set(r.leader, (leaders.get(r.leader) ?? 0) + 1);
  }
  return [...c.nodes.keys()].map((id) => `${id}: ${leaders.get(id) ?? 0}`).join(", ");
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields after the command name start at field 3 (state): utime is field 14, stime 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Node id → process id of the nodes running. */
export function pids(c: BinaryCluster): Map<number, number> {
  const out = new Map<number, number>();
  for (const n of c.nodes.values()) if (n.proc?.pid !== undefined) out.set(n.id, n.proc.pid);
  return out;
}

/** The CPU seconds every node of the cluster has used, summed. */
export function clusterCpuSeconds(c: BinaryCluster): number {
  let total = 0;
  for (const pid of pids(c).values()) total += cpuSeconds(pid);
  return total;
}

/**
 * Waits (at most `ms`) until placement's leader balance has spread the regions' leaders: leaders
 * per node differ by at most one (PLACEMENT_LEADER_TOLERANCE). Resolves with the regions then.
 */
export async function leadersSpread(c: BinaryCluster, ms: number): Promise<RegionView[]> {
  const until = Date.now() + ms;
  for (;;) {
    const regions = await regionsOf(c, 1);
    const counts = [...c.nodes.keys()].map((id) => regions.filter((r) => r.leader === id).length);
    const spread = Math.max(...counts) - Math.min(...counts) <= 1;
    if ((spread && regions.every((r) => r.leader !== null)) || Date.now() > until) return regions;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
