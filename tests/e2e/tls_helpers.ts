/**
 * Helpers for the TLS end-to-end tests: a node's /status over HTTPS, the certificate a port
 * serves, the leader of a TLS cluster, a real ClientHello to cut short, and the open file
 * descriptors of a node process.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import { execFile } from "node:child_process";

export interface NodeStatus {
  readonly role: string;
  readonly leader: number | null;
  readonly term: number;
  readonly appliedIndex: number;
}

/** GET https://127.0.0.1:PORT/status trusting `ca`; undefined when it does not answer. */
export function httpsStatus(port: number, ca: string): Promise<NodeStatus | undefined> {
  return new Promise((resolve) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: "/status", ca, agent: false, timeout: 2000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => body += chunk);
        res.on("end", () => {
          try {
            resolve(JSON.parse(body));
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/** Waits until one of `httpPorts` reports itself leader; returns its index in the list. */
export async function tlsLeader(httpPorts: number[], ca: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const seen = await Promise.all(httpPorts.map((port) => httpsStatus(port, ca)));
    const leader = seen.findIndex((s) => s?.role === "leader");
    // A fresh cluster elects at once: ready when every member has heard of the leader too.
    const known = (s: NodeStatus | undefined) =>
      s === undefined || s.leader === seen[leader]?.leader;
    if (leader >= 0 && seen.every(known)) return leader;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no leader known to every member over HTTPS within the attempts");
}

/** The common name of the certificate a TLS port serves (verified against `ca`). */
export function servedName(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.destroy();
      resolve(Array.isArray(cn) ? cn.join(",") : String(cn));
    });
    socket.on("error", reject);
  });
}

/** The first bytes a TLS client sends (its ClientHello), captured on a local socket. */
export function captureClientHello(): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => {
      s.once("data", (chunk: Uint8Array) => {
        resolve(new Uint8Array(chunk));
        s.destroy();
        server.close();
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      const client = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
      client.on("error", () => {});
    });
    server.on("error", reject);
  });
}

/** Open file descriptors of process `pid` (Linux /proc), or undefined elsewhere. */
export function openFds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Runs a tool; resolves with its exit code and output. */
export function run(
  tool: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
