/**
 * The two servers a differential run compares: a throwaway redis-server (the reference) and one
 * TinyKV node from the compiled binary (through tests/e2e/binary_cluster.ts). Each is killed by
 * the pid this file started, and its files removed.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import process from "node:process";
import { BINARY, BinaryCluster } from "../e2e/binary_cluster.ts";
import { freePorts } from "../server/cluster_helpers.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { RespConn } from "./resp_conn.ts";

export interface DiffServer {
  readonly name: string;
  readonly port: number;
  /** A command that logs in with every right (FLUSHALL between cases), when users are on. */
  readonly login?: readonly string[];
  /** What the server printed, for a failure message. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The TinyKV executable compared: ./tinykv, or RESP_DIFF_BINARY (another build, e.g. of a branch
 * whose commands are landing).
 */
export function tinykvBinary(): string {
  return process.env.RESP_DIFF_BINARY || BINARY;
}

/** Why the differential tests cannot run here, or undefined when they can. */
export function missingTools(): string | undefined {
  const binary = tinykvBinary();
  if (!fs.existsSync(binary)) return `${binary} is missing (run bash compile.sh)`;
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
  } catch {
    return "redis-server is not installed (scripts/test_deps.sh installs it)";
  }
  return undefined;
}

/** Waits (bounded) until the port answers PING with +PONG. */
async function awaitPong(
  port: number,
  timeoutMs: number,
  login?: readonly string[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    try {
      const conn = await RespConn.connect(port, "127.0.0.1", 1000);
      if (login !== undefined) await conn.call([...login], 1000);
      const reply = await conn.call(["PING"], 1000);
      conn.close();
      if (!(reply instanceof Error) && reply.raw === "+PONG\r\n") return;
      last = reply instanceof Error ? reply.message : reply.raw;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not answer PING within ${timeoutMs} ms: ${last}`);
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once("exit", () => resolve()));
}

/** `extraArgs` go to redis-server (`--aclfile FILE`); `login` as in DiffServer. */
export async function startRedis(
  extraArgs: readonly string[] = [],
  login?: readonly string[],
): Promise<DiffServer> {
  const [port] = await freePorts(1);
  const dir = makeTempDir("tinykv-resp-diff-redis-");
  const args = [
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    ...extraArgs,
  ];
  const proc = spawn("redis-server", [...args, "--dir", dir, "--daemonize", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  proc.stdout?.on("data", (d: Uint8Array) => log += new TextDecoder().decode(d));
  proc.stderr?.on("data", (d: Uint8Array) => log += new TextDecoder().decode(d));
  const stop = async () => {
    const done = exited(proc);
    if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, "SIGKILL");
    await done;
    removeTempDir(dir);
  };
  try {
    await awaitPong(port, 10_000, login);
  } catch (e) {
    await stop();
    throw new Error(`redis-server did not start: ${String(e)}\n${log.slice(-2000)}`);
  }
  return { name: "redis", port, login, log: () => log.slice(-2000), stop };
}

/** `extraArgs` go to the node (`--auth-file FILE`); `login` as in DiffServer. */
export async function startTinyKv(
  extraArgs: string[] = [],
  login?: readonly string[],
): Promise<DiffServer> {
  const cluster = await BinaryCluster.start(1, extraArgs, tinykvBinary());
  const node = cluster.nodes.get(1);
  try {
    if (node === undefined) throw new Error("no node 1");
    await cluster.leader(15_000);
    await awaitPong(node.respPort, 10_000, login);
  } catch (e) {
    const logs = cluster.logs();
    await cluster.stop();
    throw new Error(`tinykv did not start: ${String(e)}\n${logs}`);
  }
  return {
    name: "tinykv",
    port: node.respPort,
    login,
    log: () => cluster.logs(),
    stop: () => cluster.stop(),
  };
}
