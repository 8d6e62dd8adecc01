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
  /** A rough rate for sizing `-n` from `seconds`; a faster server simply finishes sooner. */
  readonly expectedPerSecond: number;
  readonly valueSize?: number;
}

/**
 * Runs redis-benchmark with `--csv` and returns the test's throughput and p99. Killed after
 * four times the planned duration plus 20 s: a stall shows up as an error, not a hang.
 */
export async function redisBenchmark(load: RedisLoad): Promise<Measured> {
  const requests = Math.max(10_000, Math.round(load.seconds * load.expectedPerSecond));
  const base = ["-h", "127.0.0.1", "-p", String(load.port), "-c", String(load.clients)];
  base.push("-d", String(load.valueSize ?? 3), "-r", "10000");
  const timeoutMs = (load.seconds * 4 + 20) * 1000;
  if (load.test === "get") {
    // Fill the key space GET reads (keys key:000000000000..key:000000009999), untimed.
    await runTool(
      "redis-benchmark",
      [...base, "-P", "16", "-n", "20000", "-t", "set", "-q"],
      timeoutMs,
    );
  }
  const args = [...base, "-P", String(load.pipeline), "-n", String(requests), "-t", load.test];
  const out = await runTool("redis-benchmark", [...args, "--csv"], timeoutMs);
  const result = parseRedisBenchmarkCsv(out).get(load.test.toUpperCase());
  if (result === undefined) throw new Error(`no ${load.test} row in redis-benchmark's output`);
  return result;
}
