/**
 * A real single-voter node on loopback ports and a temp directory, as the port
 * fuzz tests see it: seeded with data of every kind, a digest of everything it
 * stores (compared before and after fuzzing), probes that a valid request on
 * each port is still answered, open-connection counts and memory samples.
 *
 * Pointing the fuzz at a node with authentication: pass `config` (the node's
 * flags) and `auth` (what a legitimate client sends); the probes, the digest
 * and the fuzz inputs' valid prefixes use it.
 */
import process from "node:process";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { getPlatform } from "../../src/platform/detect.ts";
import { type RunningServer, type ServerConfig, startServer } from "../../src/server/server.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { toHex, utf8 } from "../../src/util/bytes.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { FAST_ELECTIONS, freePorts } from "../server/cluster_helpers.ts";
import { cmd, RawClient } from "../server/resp/resp_test_client.ts";

/** Credentials a legitimate client presents (all optional: auth is off by default). */
export interface FuzzAuth {
  /** RESP commands sent first on every connection (e.g. ["AUTH", "user", "pass"]). */
  readonly resp?: readonly string[][];
  /** The protobuf port's admin token / request token. */
  readonly adminToken?: string;
  /** Headers for HTTP requests beyond /health (e.g. Authorization). */
  readonly http?: Readonly<Record<string, string>>;
}

export interface FuzzNodeOptions {
  readonly config?: Partial<ServerConfig>;
  readonly auth?: FuzzAuth;
}

/** The Redis database fuzz inputs may write to; every other one must not change. */
export const SANDBOX_DB = 9;

export class FuzzNode {
  private constructor(
    readonly server: RunningServer,
    readonly dir: string,
    readonly client: TinyKvClient,
    readonly auth: FuzzAuth,
  ) {}

  static async start(o: FuzzNodeOptions = {}): Promise<FuzzNode> {
    const platform = getPlatform();
    const dir = makeTempDir("tinykv-fuzz-");
    const [kvPort, respPort] = await freePorts(2);
    const address = `127.0.0.1:${kvPort}`;
    const server = await startServer(platform, {
      id: 1,
      peers: new Map([[1, address]]),
      dataDir: dir,
      respPort,
      httpPort: 0,
      ...FAST_ELECTIONS,
      // No automatic history compaction: it would change the compacted revision mid-run.
      autoCompact: { revisions: 0, ageMs: 0 },
      ...o.config,
    });
    const client = new TinyKvClient({
      endpoints: [address],
      net: platform.net,
      clock: platform.clock,
      seed: 1,
      deadlineMs: 10_000,
      adminToken: o.auth?.adminToken,
    });
    const node = new FuzzNode(server, dir, client, o.auth ?? {});
    await node.#seed();
    return node;
  }

  get kvPort(): number {
    return this.server.kvPort;
  }
  get respPort(): number {
    return this.server.respPort ?? 0;
  }
  get httpPort(): number {
    return this.server.httpPort ?? 0;
  }

  /** A RESP connection that has presented the credentials. */
  async resp(): Promise<RawClient> {
    const c = await RawClient.connect(this.respPort);
    if (this.auth.resp !== undefined && this.auth.resp.length > 0) await c.send(...this.auth.resp);
    return c;
  }

  /** Data of every kind: protobuf keys (binary, with TTL, on a lease), Redis types, databases. */
  async #seed(): Promise<void> {
    for (let i = 0; i < 20; i++) await this.client.put(`k/${i}`, `value ${i}`);
    await this.client.put(new Uint8Array([0, 0xff, 0x0d, 0x0a]), new Uint8Array([1, 2, 3]));
    await this.client.put("ttl", "later", { ttlMs: 3_600_000 });
    const lease = await this.client.grant(3600);
    await this.client.put("leased", "v", { lease: lease.id });
    const c = await this.resp();
    try {
      await c.send(
        ["HSET", "h", "f1", "a", "f2", "b"],
        ["SADD", "s", "x", "y"],
        ["EXPIRE", "h", "3600"],
        ["SELECT", "3"],
        ["SET", "db3", "three"],
        ["SELECT", String(SANDBOX_DB)],
        ["SET", "sandbox", "mine"],
        ["MSET", "fuzz", "1", "{tag}x", "2.5"],
        ["HSET", "fuzz:h", "f", "1", "g", "x"],
        ["SADD", "fuzz:s", "a", "b", "1"],
      );
    } finally {
      c.close();
    }
  }

  /**
   * Everything the node stores, as text: the store revision (unless fuzzing may
   * write to the sandbox, which moves it), members, leases, every protobuf key
   * with its metadata, and every Redis key of every database but the sandbox.
   */
  async digest(withRevision = true): Promise<string> {
    const s = this.server.node.status();
    const head = {
      revision: withRevision ? s.revision : "(sandbox writes move it)",
      compactedRevision: s.compactedRevision,
      leases: s.leases,
      members: s.members.map((m) => `${m.id}@${m.address}${m.learner ? "/learner" : ""}`),
    };
    const lines = [JSON.stringify(head)];
    let cursor: Uint8Array | undefined;
    for (let page = 0; page < 100; page++) {
      const p = await this.server.node.scan({ limit: 1000, cursor }, "linearizable");
      for (const kv of p.items) {
        const { key, value, createRevision, modRevision, version, lease, expireAtMs } = kv;
        const meta = `${createRevision}/${modRevision}/${version}/${lease}/${expireAtMs}`;
        lines.push(`${toHex(key)}=${toHex(value)} ${meta}`);
      }
      cursor = p.nextCursor;
      if (cursor === undefined) break;
    }
    lines.push(...await this.#redisDigest());
    return lines.join("\n");
  }

  async #redisDigest(): Promise<string[]> {
    const c = await this.resp();
    const lines: string[] = [];
    try {
      for (let db = 0; db < 16; db++) {
        if (db === SANDBOX_DB) continue;
        const [, keys] = await c.send(["SELECT", String(db)], ["KEYS", "*"]);
        lines.push(`db ${db}: ${keys}`);
        for (const key of parseBulkArray(keys ?? "").sort()) {
          const [type] = await c.send(["TYPE", key]);
          const read = type === "+hash\r\n"
            ? ["HGETALL", key]
            : type === "+set\r\n"
            ? ["SMEMBERS", key]
            : ["GET", key];
          const [value, ttl] = await c.send(read, ["EXPIRETIME", key]);
          lines.push(`${db}/${key} ${type.trim()} ${value} ${ttl}`);
        }
      }
    } finally {
      c.close();
    }
    return lines;
  }

  /** Throws unless each port answers a valid request correctly. */
  async assertAlive(): Promise<void> {
    const got = await this.client.get("k/0");
    if (got === undefined || new TextDecoder().decode(got) !== "value 0") {
      throw new Error("protobuf port: GET k/0 did not answer 'value 0'");
    }
    const c = await this.resp();
    try {
      const [pong] = await c.send(["PING"]);
      if (pong !== "+PONG\r\n") throw new Error(`RESP port: PING answered ${JSON.stringify(pong)}`);
    } finally {
      c.close();
    }
    // /health is 503 while an entry is committed but not yet applied: a case's last writes,
    // on a connection cut mid-input, may still be in that gap. Unhealthy for 5 s is a failure.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const health = await fetch(`http://127.0.0.1:${this.httpPort}/health`);
      const body = await health.text();
      if (health.status === 200) return;
      if (Date.now() > deadline) {
        throw new Error(`HTTP port: /health answered ${health.status} for 5 s: ${body}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Open client connections on the protobuf and RESP ports (from /metrics). */
  async openConnections(): Promise<{ protobuf: number; resp: number }> {
    const r = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`, {
      headers: { ...this.auth.http },
    });
    const text = await r.text();
    const value = (port: string) => {
      const m = new RegExp(`^tinykv_open_connections\\{port="${port}"\\} (\\d+)`, "m").exec(text);
      return m === null ? -1 : Number(m[1]);
    };
    return { protobuf: value("protobuf"), resp: value("resp") };
  }

  /**
   * Waits (bounded) until the open connections fall back to `expected`;
   * returns the last count seen.
   */
  async connectionsSettle(expected: { protobuf: number; resp: number }) {
    let now = await this.openConnections();
    for (let i = 0; i < 100; i++) {
      if (now.protobuf <= expected.protobuf && now.resp <= expected.resp) break;
      await new Promise((r) => setTimeout(r, 20));
      now = await this.openConnections();
    }
    return now;
  }

  async close(): Promise<void> {
    this.client.close();
    await this.server.close();
    removeTempDir(this.dir);
  }
}

/** The bulk strings of a RESP array reply (KEYS). */
function parseBulkArray(reply: string): string[] {
  const out: string[] = [];
  const re = /\$(\d+)\r\n/g;
  for (let m = re.exec(reply); m !== null; m = re.exec(reply)) {
    const start = m.index + m[0].length;
    out.push(reply.slice(start, start + Number(m[1])));
    re.lastIndex = start + Number(m[1]) + 2;
  }
  return out;
}

/** A RESP command as bytes. */
export function respCommand(...args: string[]): Uint8Array {
  return utf8(cmd(...args));
}

let v8Collect: (() => void) | undefined | null = null;

/** A full garbage collection: Bun's through the platform, V8's (Deno) through node:v8. */
function collectGarbage(): void {
  const platform = getPlatform();
  if (platform.collectGarbage !== undefined) return platform.collectGarbage();
  if (v8Collect === null) {
    try {
      v8.setFlagsFromString("--expose-gc");
      const gc: unknown = vm.runInNewContext("gc");
      v8Collect = typeof gc === "function" ? () => gc() : undefined;
    } catch {
      v8Collect = undefined;
    }
  }
  v8Collect?.();
}

/**
 * Memory the process holds now, after a full collection: the JS heap and the
 * buffers outside it (Bun's heapUsed already counts them; Deno reports them as
 * `external`).
 */
export function memoryNow(): { heapAndBuffers: number; rss: number } {
  collectGarbage();
  const m = process.memoryUsage();
  const buffers = getPlatform().runtime === "bun" ? 0 : m.external;
  return { heapAndBuffers: m.heapUsed + buffers, rss: m.rss };
}

export const MiB = 1024 * 1024;

/** What a fuzz run may leave the process holding (heap and buffers, after a full collection). */
export const MEMORY_GROWTH_MAX = 32 * MiB;

/** Fails when the heap and buffers grew past MEMORY_GROWTH_MAX since `start`. */
export function assertMemoryBounded(start: { heapAndBuffers: number }, runSeed: number): void {
  const grown = memoryNow().heapAndBuffers - start.heapAndBuffers;
  if (grown >= MEMORY_GROWTH_MAX) {
    throw new Error(`heap and buffers grew ${(grown / MiB).toFixed(1)} MiB (run seed ${runSeed})`);
  }
}
