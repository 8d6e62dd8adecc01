/**
 * The one node bench:growth drives: the compiled binary in its own data dir under the chosen
 * parent (e.g. /tmp), with its RSS, CPU time and data size sampled, and a kill -9 restart
 * timed to the first acknowledged SET. Stopped and removed at clean-up (processes.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePorts } from "../../tests/server/cluster_helpers.ts";
import { onCleanUp, runTool, sleep } from "../versus/processes.ts";

export interface NodeSample {
  readonly rssBytes: number;
  /** User + system CPU time of the node process since it started. */
  readonly cpuMs: number;
  readonly dirBytes: number;
  /** The same, per top-level entry of the data dir (kv, raftlog, placement, …). */
  readonly dirParts: ReadonlyMap<string, number>;
  /** The node's /metrics text (empty if it did not answer). */
  readonly metrics: string;
}

export interface RestartTimes {
  /** From the restart to the startup line (ports open). */
  readonly servingMs: number;
  /** From the restart to the first SET the node acknowledged. */
  readonly firstWriteMs: number;
  readonly dirBytes: number;
}

export interface GrowthNode {
  readonly respPort: number;
  /** `request.slow` lines the node logged so far (requests over 500 ms). */
  slowLines(): number;
  sample(): Promise<NodeSample>;
  restart(): Promise<RestartTimes>;
  stop(): Promise<void>;
}

/** Fails unless `dir`'s file system has `bytes` free (`df`), so a run never fills a disk. */
export async function checkFreeDisk(dir: string, bytes: number): Promise<void> {
  const out = await runTool("df", ["-Pk", dir], 10_000);
  const free = Number(out.trim().split("\n").at(-1)?.split(/\s+/)[3]) * 1024;
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (!(free >= bytes)) {
    throw new Error(`${dir} has ${gib(free)} free; the run needs ${gib(bytes)}`);
  }
  console.log(`disk: ${gib(free)} free in ${dir}, the run needs about ${gib(bytes)}`);
}

/**
 * Bytes of the files under `dir` (apparent sizes, as `du -sb`). A file the engine deletes while it
 * is walked (a compaction's inputs) is skipped: `du` exited non-zero then and ended a run.
 */
function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const bytes of dirParts(dir).values()) n += bytes;
  return Promise.resolve(n);
}

function dirParts(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    try {
      out.set(e.name, e.isDirectory() ? dirBytesSync(p) : fs.statSync(p).size);
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

async function metricsText(httpPort: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      signal: AbortSignal.timeout(5_000),
    });
    return res.ok ? await res.text() : "";
  } catch {
    return "";
  }
}

function dirBytesSync(dir: string): number {
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    try {
      n += fs.statSync(path.join(dir, name)).size;
    } catch {
      // removed meanwhile
    }
  }
  return n;
}

/** utime + stime from /proc/PID/stat, in ms (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** Starts a one-node cluster in a new dir under `parent`; resolves once its ports are open. */
export async function startGrowthNode(binary: string, parent: string): Promise<GrowthNode> {
  const dir = fs.mkdtempSync(path.join(parent, "tinykv-growth-"));
  const [peerPort, httpPort, respPort] = await freePorts(3);
  const args = ["--id", "1", "--peers", `1=127.0.0.1:${peerPort}`, "--data-dir", dir];
  args.push("--http-port", String(httpPort), "--resp-port", String(respPort));
  let proc: ChildProcess | undefined;
  let slow = 0;
  const exited = () => proc === undefined || proc.exitCode !== null || proc.signalCode !== null;
  const kill = async () => {
    if (proc === undefined || exited()) return;
    const gone = new Promise((r) => proc?.once("exit", r));
    proc.kill("SIGKILL");
    await gone;
  };
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
      proc = child;
      const read = (d: Uint8Array) => {
        const text = new TextDecoder().decode(d);
        slow += text.split("request.slow").length - 1;
        if (text.includes(" serving")) resolve();
      };
      child.stdout?.on("data", read);
      child.stderr?.on("data", read);
      child.once("exit", (code) => reject(new Error(`node exited with ${code}`)));
    });
  const unregister = onCleanUp(async () => {
    await kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await launch();
  const pid = () => proc?.pid ?? 0;
  return {
    respPort,
    slowLines: () => slow,
    sample: async () => ({
      rssBytes: rssBytes(pid()),
      cpuMs: cpuMs(pid()),
      dirBytes: await dirBytes(dir),
      dirParts: dirParts(dir),
      metrics: await metricsText(httpPort),
    }),
    restart: async () => {
      await kill();
      const bytes = await dirBytes(dir);
      const t0 = performance.now();
      await launch();
      const servingMs = performance.now() - t0;
      await firstSet(respPort);
      return { servingMs, firstWriteMs: performance.now() - t0, dirBytes: bytes };
    },
    stop: async () => {
      unregister();
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Retries a SET every 10 ms until the node acknowledges one (at most 120 s). */
async function firstSet(port: number): Promise<void> {
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    const out = await runTool("redis-cli", ["-p", String(port), "SET", "growth:restart", "1"], 5000)
      .catch(() => "");
    if (out.trim() === "OK") return;
    await sleep(10);
  }
  throw new Error("no SET was acknowledged within 120 s of the restart");
}
