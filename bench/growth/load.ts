/** One redis-benchmark run against the growth node, its throughput and p99 parsed from --csv. */
import { runTool } from "../versus/processes.ts";
import { type Measured, parseRedisBenchmarkCsv } from "../versus/report.ts";

export interface GrowthLoad {
  readonly test: "set" | "get";
  readonly clients: number;
  readonly requests: number;
  readonly valueSize: number;
  /** `-r`: keys are key:<random below this>. */
  readonly keySpace: number;
  readonly pipeline?: number;
}

/** Runs the load; a run that would take over 20 minutes is killed (a stall is an error). */
export async function redisLoad(port: number, load: GrowthLoad): Promise<Measured> {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", String(load.clients)];
  args.push("-d", String(load.valueSize), "-r", String(load.keySpace));
  args.push("-P", String(load.pipeline ?? 1), "-n", String(load.requests));
  args.push("-t", load.test, "--csv");
  const out = await runTool("redis-benchmark", args, 20 * 60_000);
  const r = parseRedisBenchmarkCsv(out).get(load.test.toUpperCase());
  if (r === undefined) throw new Error(`no ${load.test} row in redis-benchmark's output:\n${out}`);
  return r;
}
