/** Runs the compiled ./tinykv as real processes for end-to-end tests. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import type { ClientOptions } from "../../src/client/client.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { freePorts } from "../server/cluster_helpers.ts";

export const ROOT = path.resolve(import.meta.dirname ?? ".", "../..");
export const BINARY = path.join(ROOT, "tinykv");

export interface NodeProc {
  readonly id: number;
  readonly kvPort: number;
  readonly httpPort: number;
  readonly respPort: number;
  readonly dataDir: string;
  proc: ChildProcess | undefined;
  log: string;
  /** Set by `kill`: the exit that follows is the test's doing. */
  killing: boolean;
}

/**
 * Nodes with users (`--auth-file`) close /status to anonymous callers and, with peers, need a
 * cluster token: the harness gives them an admin token it can read /status with, and a cluster
 * token, unless the test chose its own.
 */
function withAuthHelpers(extraArgs: string[]): string[] {
  if (!extraArgs.includes("--auth-file")) return extraArgs;
  return [
    ...extraArgs,
    ...(extraArgs.includes("--admin-token") ? [] : ["--admin-token", "e2e-harness-admin-token"]),
    ...(extraArgs.includes("--cluster-token") ? [] : ["--cluster-token", "e2e-cluster-token"]),
  ];
}

export class BinaryCluster {
  readonly nodes = new Map<number, NodeProc>();
  /**
   * Per-node `--peers` values overriding `peersFlag` (the chaos suite routes
   * each node's peer links through its own fault-injecting proxies).
   */
  readonly peersFlagOf = new Map<number, string>();
  /** Per-node arguments after `extraArgs` (a joining node's `--join` and its own flags). */
  readonly argsOf = new Map<number, string[]>();
  /** Exits no test asked for, as "node N: code C, signal S" (a crash, or a port it could not bind). */
  readonly unexpectedExits: string[] = [];
  readonly #root: string;

  private constructor(
    readonly peersFlag: string,
    root: string,
    readonly extraArgs: string[],
    /** The executable the nodes run (another build for a before/after benchmark). */
    readonly binary: string,
  ) {
    this.#root = root;
  }

  /** Starts `size` nodes; `extraArgs` go to every node (e.g. ["--read-mode", "lease"]). */
  static async start(
    size: number,
    extraArgs: string[] = [],
    binary = BINARY,
  ): Promise<BinaryCluster> {
    const c = await BinaryCluster.allocate(size, extraArgs, binary);
    for (const id of c.nodes.keys()) c.spawn(id);
    return c;
  }

  /** Picks ports and data dirs for `size` nodes without starting them (see `spawn`). */
  static async allocate(
    size: number,
    extraArgs: string[] = [],
    binary = BINARY,
  ): Promise<BinaryCluster> {
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run ./compile.sh first`);
    const ports = await freePorts(size * 3);
    const root = makeTempDir("tinykv-e2e-");
    const peers = Array.from({ length: size }, (_, i) => `${i + 1}=127.0.0.1:${ports[i]}`).join(
      ",",
    );
    const c = new BinaryCluster(peers, root, withAuthHelpers(extraArgs), binary);
    for (let i = 1; i <= size; i++) {
      c.nodes.set(i, {
        id: i,
        kvPort: ports[i - 1],
        httpPort: ports[size + i - 1],
        respPort: ports[2 * size + i - 1],
        dataDir: path.join(root, `node-${i}`),
        proc: undefined,
        log: "",
        killing: false,
      });
    }
    return c;
  }

  /**
   * Starts node `id` with `--join` (and `args`), its `--peers` the cluster's and itself, listed
   * with the others so kill/stop/leader() cover it; returns its peer address.
   */
  async startJoining(id: number, args: string[] = []): Promise<string> {
    const [kvPort, httpPort, respPort] = await freePorts(3);
    const address = `127.0.0.1:${kvPort}`;
    const dataDir = path.join(this.#root, `node-${id}`);
    this.nodes.set(id, {
      id,
      kvPort,
      httpPort,
      respPort,
      dataDir,
      proc: undefined,
      log: "",
      killing: false,
    });
    this.peersFlagOf.set(id, `${this.peersFlag},${id}=${address}`);
    this.argsOf.set(id, ["--join", ...args]);
    this.spawn(id);
    return address;
  }

  get endpoints(): string {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.kvPort}`).join(",");
  }

  spawn(id: number): void {
    const n = this.#node(id);
    const proc = spawn(this.binary, [
      "--id",
      String(id),
      "--peers",
      this.peersFlagOf.get(id) ?? this.peersFlag,
      "--data-dir",
      n.dataDir,
      "--http-port",
      String(n.httpPort),
      "--resp-port",
      String(n.respPort),
      ...this.extraArgs,
      ...(this.argsOf.get(id) ?? []),
    ], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.on("data", (d: Uint8Array) => n.log += new TextDecoder().decode(d));
    proc.stderr?.on("data", (d: Uint8Array) => n.log += new TextDecoder().decode(d));
    // Every exit goes into the log, so a node that died on its own shows up there.
    proc.once("exit", (code, sig) => {
      const how = `code ${code}, signal ${sig}`;
      n.log += `[exited: ${how}]\n`;
      if (!n.killing) this.unexpectedExits.push(`node ${id}: ${how}`);
    });
    n.killing = false;
    n.proc = proc;
  }

  /** SIGKILL (power-loss-like for the process) or SIGTERM (clean stop); waits for exit. */
  async kill(id: number, signal: "SIGKILL" | "SIGTERM"): Promise<number | null> {
    const n = this.#node(id);
    const proc = n.proc;
    if (proc === undefined || proc.exitCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    // process.kill, not proc.kill: Deno's child_process reports any child it
    // signalled through proc.kill as killed by that signal, even one that
    // handled it and exited 0.
    n.killing = true;
    if (proc.pid !== undefined) process.kill(proc.pid, signal);
    const code = await exited;
    n.proc = undefined;
    return code;
  }

  /** SIGSTOP (`true`) or SIGCONT (`false`): a paused process keeps its sockets but says nothing. */
  pause(id: number, paused: boolean): void {
    const pid = this.#node(id).proc?.pid;
    if (pid !== undefined) process.kill(pid, paused ? "SIGSTOP" : "SIGCONT");
  }

  /**
   * The node's memory in KiB from Linux /proc: resident now (`VmRSS`) or its
   * peak (`VmHWM`); undefined when it is not running.
   */
  memoryKb(id: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number | undefined {
    const pid = this.#node(id).proc?.pid;
    if (pid === undefined) return undefined;
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const m = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status);
      return m === null ? undefined : Number(m[1]);
    } catch {
      return undefined;
    }
  }

  /** The node's resident memory in KiB, or undefined when it is not running. */
  rssKb(id: number): number | undefined {
    return this.memoryKb(id, "VmRSS");
  }

  /** A client of the protobuf API for `ids` (default: every node). */
  client(options: Partial<ClientOptions> = {}, ids = [...this.nodes.keys()]): TinyKvClient {
    const platform = getPlatform();
    return new TinyKvClient({
      endpoints: ids.map((id) => `127.0.0.1:${this.#node(id).kvPort}`),
      net: platform.net,
      clock: platform.clock,
      seed: platform.randomSeed(),
      ...options,
    });
  }

  /** The node's /status, or undefined when it does not answer within `timeoutMs` (paused, down). */
  async status(
    id: number,
    timeoutMs = 2000,
  ): Promise<
    | {
      role: string;
      leader: number | null;
      term: number;
      commitIndex: number;
      appliedIndex: number;
    }
    | undefined
  > {
    try {
      const res = await fetch(`http://127.0.0.1:${this.#node(id).httpPort}/status`, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: this.adminHeaders(),
      });
      return await res.json();
    } catch {
      return undefined;
    }
  }

  /** Waits until every running node answers /status (a node's ports are open by then). */
  async serving(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const n of this.nodes.values()) {
      while (n.proc !== undefined && await this.status(n.id, 500) === undefined) {
        if (Date.now() > deadline) throw new Error(`node ${n.id} not serving\n${this.logs()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Waits until the running nodes agree on one leader; returns its id. */
  async leader(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const n of this.nodes.values()) {
        if (n.proc === undefined) continue;
        const s = await this.status(n.id);
        if (s?.role === "leader") {
          return await this.#knownBy(n.id, Math.min(deadline, Date.now() + 2000));
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no leader within ${timeoutMs} ms\n${this.logs()}`);
  }

  /**
   * Waits (until `until`, then gives up quietly) for every running node that answers to name
   * `leader`: a fresh cluster elects at once, and a node may not have heard of it yet.
   */
  async #knownBy(leader: number, until: number): Promise<number> {
    while (Date.now() < until) {
      let all = true;
      for (const n of this.nodes.values()) {
        if (n.proc === undefined || n.id === leader) continue;
        const s = await this.status(n.id, 200);
        if (s !== undefined && s.leader !== leader) all = false;
      }
      if (all) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return leader;
  }

  /**
   * What an HTTP admin request needs (docs/operations.md): the nodes' `--admin-token`, when
   * `extraArgs` gives one (it also opens /status on nodes with `--auth-file`), and the header.
   */
  adminHeaders(): Record<string, string> {
    const at = this.extraArgs.indexOf("--admin-token");
    const token = at < 0 ? undefined : this.extraArgs[at + 1];
    return {
      "X-TinyKV-Admin": "1",
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    };
  }

  /** Runs the binary as a client command. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(this.binary, [...args, "--endpoints", this.endpoints], (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /**
   * Writes every node's whole log into `TINYKV_E2E_LOG_DIR` when it is set (the e2e scenarios
   * and the chaos runs call it at their end, passed or failed); nothing otherwise.
   */
  saveLogs(): void {
    const dir = process.env.TINYKV_E2E_LOG_DIR;
    if (dir === undefined) return;
    fs.mkdirSync(dir, { recursive: true });
    for (const n of this.nodes.values()) {
      fs.writeFileSync(path.join(dir, `node-${n.id}-${n.kvPort}.log`), n.log);
    }
  }

  logs(): string {
    return [...this.nodes.values()].map((n) => `--- node ${n.id}\n${n.log.slice(-2000)}`).join(
      "\n",
    );
  }

  #node(id: number): NodeProc {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  async stop(): Promise<void> {
    for (const id of this.nodes.keys()) await this.kill(id, "SIGKILL");
    removeTempDir(this.#root);
  }
}
