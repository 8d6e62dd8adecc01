/**
 * redis-server as the 1-node anchor (append-only file, fsync on every write, data in a temp
 * dir) and redis-benchmark as the RESP load for both it and TinyKV.
 */
import { freePorts } from "../../tests/server/cluster_helpers.ts";
import type { Measured } from "./report.ts";
import { parseRedisBenchmarkCsv } from "./report.ts";
import { runTool, sleep, startServer, tempDir } from "./processes.ts";

/** Starts redis-server on a free loopback port; resolves once it answers PING (≤ 10 s). */
export async function startRedis(): Promise<{ port: number; stop: () => void }> {
  const [port] = await freePorts(1);
  const dir = tempDir("tinykv-versus-redis-");
  const child = startServer("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--save",
    "",
  ]);
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  await waitForPong(port);
  return { port, stop };
}

/** Polls PING for up to 10 s (a server that never answers fails the bench, not hangs it). */
async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const out = await runTool("redis-cli", ["-p", String(port), "ping"], 2000);
      if (out.includes("PONG")) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

export interface RedisLoad {
  readonly port: number;
  /** "set" or "get" (get reads keys a short SET pass wrote first). */
  readonly test: "set" | "get";
  readonly clients: number;
  readonly pipeline: number;
  /** How long it should take; redis-benchmark counts requests, so this sets `-n`. */
  readonly seconds: number;
  readonly valueSize?: number;
}

/** Requests of the short run that measures the rate `-n` is sized from (and warms up). */
const CALIBRATION_REQUESTS = 5_000;

/**
 * Runs redis-benchmark with `--csv` and returns the test's throughput and p99. redis-benchmark
 * counts requests, not time: a short run first measures the rate, and the real run asks for
 * rate × seconds requests. Every run is killed after 3 × seconds + 30 s: a stall is an error,
 * not a hang.
 */
export async function redisBenchmark(load: RedisLoad): Promise<Measured> {
  const base = ["-h", "127.0.0.1", "-p", String(load.port), "-c", String(load.clients)];
  base.push("-d", String(load.valueSize ?? 3), "-r", "10000", "-P", String(load.pipeline));
  const timeoutMs = (load.seconds * 3 + 30) * 1000;
  const once = async (requests: number): Promise<Measured> => {
    const args = [...base, "-n", String(requests), "-t", load.test, "--csv"];
    const r = parseRedisBenchmarkCsv(await runTool("redis-benchmark", args, timeoutMs))
      .get(load.test.toUpperCase());
    if (r === undefined) throw new Error(`no ${load.test} row in redis-benchmark's output`);
    return r;
  };
  if (load.test === "get") {
    // Fill the key space GET reads (key:000000000000..key:000000009999), untimed.
    const fill = [...base.slice(0, -2), "-P", "16", "-n", "50000", "-t", "set", "-q"];
    await runTool("redis-benchmark", fill, timeoutMs);
  }
  const rate = (await once(CALIBRATION_REQUESTS)).perSecond;
  return await once(Math.max(CALIBRATION_REQUESTS, Math.round(rate * load.seconds)));
}
