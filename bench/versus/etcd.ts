/**
 * etcd as the 3-node anchor: three members started on free loopback ports with data in temp
 * dirs, driven by bench/versus/etcd_load (etcd's own Go client, built here from Debian's
 * golang-etcd-server-dev sources; Debian does not package etcd's `benchmark` tool).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { freePorts } from "../../tests/server/cluster_helpers.ts";
import { installed, runTool, sleep, startServer, tempDir } from "./processes.ts";
import { type Measured, parseEtcdLoadLine } from "./report.ts";

/** Where Debian's golang-etcd-server-dev puts etcd's Go sources (GOPATH layout). */
const DEBIAN_GOPATH = "/usr/share/gocode";
const LOADER_SOURCE = path.join(import.meta.dirname ?? ".", "etcd_load", "main.go");

/** Why the etcd rows cannot run here, or undefined when etcd and a loader are available. */
export async function etcdMissing(): Promise<string | undefined> {
  if (!(await installed("etcd"))) return "etcd is not installed (Debian: etcd-server)";
  if (!(await installed("go"))) return "go is not installed (Debian: golang-go)";
  const clientv3 = path.join(DEBIAN_GOPATH, "src/go.etcd.io/etcd/clientv3");
  if (!fs.existsSync(clientv3)) {
    return `etcd's Go client is missing (${clientv3}; Debian: golang-etcd-server-dev)`;
  }
  return undefined;
}

/**
 * Builds the loader into a temp dir (GOPATH mode, offline; Go's build cache makes reruns take a
 * second or two). Bounded at 5 minutes for a cold build on a busy machine.
 */
export async function buildEtcdLoader(): Promise<string> {
  const out = path.join(tempDir("tinykv-versus-etcd-load-"), "etcd_load");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, { GO111MODULE: "off", GOPATH: DEBIAN_GOPATH, GOFLAGS: "" });
  await runTool("go", ["build", "-o", out, LOADER_SOURCE], 300_000, env);
  return out;
}

export interface EtcdCluster {
  /** Client URLs of the three members, comma-separated. */
  readonly endpoints: string;
  /** Kills the three members (clean-up would too; this frees the cores for the next rows). */
  readonly stop: () => void;
}

/** Starts three members and waits (≤ 30 s) until every one reports healthy. */
export async function startEtcd(): Promise<EtcdCluster> {
  const ports = await freePorts(6);
  const peerUrl = (i: number) => `http://127.0.0.1:${ports[3 + i]}`;
  const clientUrl = (i: number) => `http://127.0.0.1:${ports[i]}`;
  const initial = [0, 1, 2].map((i) => `m${i + 1}=${peerUrl(i)}`).join(",");
  const root = tempDir("tinykv-versus-etcd-");
  const members = [0, 1, 2].map((i) =>
    startServer("etcd", [
      "--name",
      `m${i + 1}`,
      "--data-dir",
      path.join(root, `m${i + 1}`),
      "--listen-client-urls",
      clientUrl(i),
      "--advertise-client-urls",
      clientUrl(i),
      "--listen-peer-urls",
      peerUrl(i),
      "--initial-advertise-peer-urls",
      peerUrl(i),
      "--initial-cluster",
      initial,
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      "tinykv-versus",
      "--logger",
      "zap",
      "--log-level",
      "error",
    ])
  );
  const stop = () => {
    for (const m of members) if (m.exitCode === null && m.signalCode === null) m.kill("SIGKILL");
  };
  for (const i of [0, 1, 2]) await waitHealthy(clientUrl(i));
  return { endpoints: [0, 1, 2].map(clientUrl).join(","), stop };
}

/** etcd's /health says "true" once the member sees a leader. */
async function waitHealthy(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (body.includes('"true"')) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`etcd member ${url} was not healthy within 30 s`);
}

export interface EtcdLoad {
  readonly op: "put" | "get";
  readonly concurrency: number;
  readonly seconds: number;
}

/**
 * One run of the loader: puts of 100 B values, or linearizable gets of 1,000 keys it wrote
 * first. Connections as `tinykv bench` opens them: one per 8 in flight, 1 to 4.
 */
export async function runEtcdLoad(
  loader: string,
  cluster: EtcdCluster,
  load: EtcdLoad,
): Promise<Measured> {
  const conns = Math.max(1, Math.min(4, Math.floor(load.concurrency / 8)));
  const args = ["-endpoints", cluster.endpoints, "-op", load.op, "-seconds", String(load.seconds)];
  args.push("-concurrency", String(load.concurrency), "-conns", String(conns));
  args.push("-value-size", "100", "-keys", "1000");
  const out = await runTool(loader, args, (load.seconds * 3 + 60) * 1000);
  const r = parseEtcdLoadLine(out);
  if (r.errors > 0) console.error(`etcd ${load.op} c=${load.concurrency}: ${r.errors} errors`);
  return r;
}
