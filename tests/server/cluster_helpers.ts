/** Starts in-process TinyKV clusters on loopback with real files, for server tests. */
import * as fs from "node:fs";
import * as net from "node:net";
import process from "node:process";
import { getPlatform } from "../../src/platform/detect.ts";
import { type RunningServer, type ServerConfig, startServer } from "../../src/server/server.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { createLogger, type Logger } from "../../src/server/log/logger.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";

/**
 * The first port of the kernel's ephemeral range (Linux default 32768). Ports
 * below it are never handed out for `listen(0)` or as the local port of an
 * outgoing connection.
 */
function ephemeralLow(): number {
  try {
    const text = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    const low = Number(text.trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function tryListen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(undefined));
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

/**
 * Free loopback ports for nodes to listen on, checked by binding each once.
 * They come from below the ephemeral range: a port from `listen(0)` could be
 * taken, between this check and the node's own bind (or while a killed node
 * is down), by a proxy's listener or by the local end of any outgoing
 * connection, and the node would fail to start.
 */
export async function freePorts(n: number): Promise<number[]> {
  const base = 10_000;
  const span = ephemeralLow() - base;
  const start = base + Math.floor(Math.random() * span);
  const ports: number[] = [];
  const servers: net.Server[] = [];
  for (let i = 0; i < span && ports.length < n; i++) {
    const port = base + ((start - base + i) % span);
    const s = await tryListen(port);
    if (s === undefined) continue;
    ports.push(port);
    servers.push(s);
  }
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  if (ports.length < n) throw new Error(`only ${ports.length} of ${n} free ports found`);
  return ports;
}

export interface TestCluster {
  readonly servers: Map<number, RunningServer>;
  readonly peers: Map<number, string>;
  readonly dirs: Map<number, string>;
  readonly respPorts: Map<number, number>;
  client(ids?: number[]): TinyKvClient;
  start(id: number): Promise<void>;
  /**
   * Starts a new node `id` that joins the running cluster (`--join`): it
   * waits to be added with `member add`. Resolves with its address.
   */
  startJoining(id: number, knownIds?: number[]): Promise<string>;
  /** Deletes a stopped node's data directory (a replaced disk). */
  wipe(id: number): void;
  stop(id: number): Promise<void>;
  leader(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Raft timing for tests: a 200–400 ms election timeout at 20 ms ticks (the
 * binary waits 1–2 s, docs/server.md), so that elections do not dominate
 * the tests' run time.
 */
export const FAST_ELECTIONS = { tickMs: 20, electionTicks: 10, heartbeatTicks: 1 } as const;

/** Clusters started by this process so far: each writes its own files under TINYKV_TEST_LOG_DIR. */
let clustersStarted = 0;

/**
 * With TINYKV_TEST_LOG_DIR set, node `id` logs at debug level to `<dir>/<pid>-c<n>-node<id>.log`
 * (a failing run's story, e.g. a CI flake reproduced in a loop); otherwise nodes are silent.
 */
function testLogger(cluster: number, id: number): Logger | undefined {
  const dir = typeof process === "undefined" ? undefined : process.env.TINYKV_TEST_LOG_DIR;
  if (dir === undefined || dir === "") return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const file = `${dir}/${process.pid}-c${cluster}-node${id}.log`;
  return createLogger({
    write: (line) => fs.appendFileSync(file, line + "\n"),
    level: "debug",
    wallMs: () => Date.now(),
    nowMs: () => performance.now(),
    burst: 1_000_000,
  });
}

export async function startCluster(
  size: number,
  tickMs = 20,
  compactEntries?: number,
  /** More of every node's config (an admin token, an auth file), or a function of its id. */
  extra: Partial<ServerConfig> | ((id: number) => Partial<ServerConfig>) = {},
): Promise<TestCluster> {
  const platform = getPlatform();
  const cluster = ++clustersStarted;
  const ports = await freePorts(size * 2);
  const peers = new Map<number, string>();
  const respPorts = new Map<number, number>();
  const dirs = new Map<number, string>();
  for (let i = 1; i <= size; i++) {
    peers.set(i, `127.0.0.1:${ports[i - 1]}`);
    respPorts.set(i, ports[size + i - 1]);
    dirs.set(i, makeTempDir(`tinykv-node${i}-`));
  }
  const servers = new Map<number, RunningServer>();
  const clients: TinyKvClient[] = [];
  // A joining node's --peers lists the initial members and itself; the others keep theirs.
  const ownPeers = new Map<number, Map<number, string>>();
  const joined = new Set<number>();
  const c: TestCluster = {
    servers,
    peers,
    dirs,
    respPorts,
    client(ids = [...peers.keys()]) {
      const client = new TinyKvClient({
        endpoints: ids.map((id) => peers.get(id) ?? ownPeers.get(id)?.get(id) ?? ""),
        net: platform.net,
        clock: platform.clock,
        seed: platform.randomSeed(),
        deadlineMs: 15_000,
        attemptTimeoutMs: 2000,
      });
      clients.push(client);
      return client;
    },
    async start(id) {
      servers.set(
        id,
        await startServer(platform, {
          id,
          peers: ownPeers.get(id) ?? peers,
          join: joined.has(id),
          dataDir: dirs.get(id) ?? "",
          respPort: respPorts.get(id),
          httpPort: 0,
          ...FAST_ELECTIONS,
          tickMs,
          compactEntries,
          logger: testLogger(cluster, id),
          ...(typeof extra === "function" ? extra(id) : extra),
        }),
      );
    },
    async startJoining(id, knownIds = [...peers.keys()]) {
      const [kvPort, respPort] = await freePorts(2);
      const address = `127.0.0.1:${kvPort}`;
      const known = [...peers].filter(([p]) => knownIds.includes(p));
      ownPeers.set(id, new Map([...known, [id, address]]));
      joined.add(id);
      respPorts.set(id, respPort);
      dirs.set(id, makeTempDir(`tinykv-node${id}-`));
      await c.start(id);
      return address;
    },
    wipe(id) {
      const dir = dirs.get(id) ?? "";
      removeTempDir(dir);
      dirs.set(id, makeTempDir(`tinykv-node${id}-wiped-`));
    },
    async stop(id) {
      await servers.get(id)?.close();
      servers.delete(id);
    },
    async leader() {
      for (let i = 0; i < 500; i++) {
        const id = [...servers].find(([, s]) => s.node.status().role === "leader")?.[0];
        // A fresh cluster elects at once: give the others a moment (bounded) to hear of it.
        for (let j = 0; id !== undefined && j < 100; j++) {
          if ([...servers.values()].every((s) => s.node.status().leader === id)) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        if (id !== undefined) return id;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("no leader within 10 s");
    },
    async close() {
      clients.forEach((cl) => cl.close());
      for (const id of [...servers.keys()]) await c.stop(id);
      for (const d of dirs.values()) removeTempDir(d);
    },
  };
  for (const id of peers.keys()) await c.start(id);
  return c;
}
