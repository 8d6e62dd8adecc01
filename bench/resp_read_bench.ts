/**
 * CPU per GET on the RESP read path, without sockets: one in-process node, sessions fed
 * pipelines through an in-memory connection, replies counted. It isolates what a node spends
 * per command (parse, dispatch, read barrier, engine read, reply) from the kernel's share, which
 * `redis-benchmark` against the binary includes (bench/RESULTS.md, "RESP reads: one pass").
 *
 *   bun bench/resp_read_bench.ts [--keys 10000] [--sets 20000] [--pipeline 16] [--rounds 20000]
 *     [--repeat 5]
 *   deno run -A bench/resp_read_bench.ts ...
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { getPlatform } from "../src/platform/detect.ts";
import type { Conn, ConnHandlers } from "../src/platform/types.ts";
import { startServer } from "../src/server/server.ts";
import { meteredService } from "../src/server/metrics/metered_service.ts";
import { MetricsRegistry } from "../src/server/metrics/registry.ts";
import { newConnState } from "../src/server/resp/resp_command.ts";
import { defaultConfig } from "../src/server/resp/resp_config_registry.ts";
import { newStats, type RespNode } from "../src/server/resp/resp_node.ts";
import { RespSession } from "../src/server/resp/resp_session.ts";
import { RespWriter } from "../src/server/resp/resp_writer.ts";
import { ScanCursors } from "../src/server/resp/scan_cursors.ts";
import { PubSubClient } from "../src/server/pubsub/pubsub_client.ts";
import { PubSubHub } from "../src/server/pubsub/pubsub_hub.ts";
import type { KvService } from "../src/server/kv_service.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { utf8 } from "../src/util/bytes.ts";
import { createPrng } from "../src/util/prng.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

/** A connection in memory: counts reply bytes, wakes the waiter on each write. */
class MemoryConn implements Conn {
  readonly remoteAddress = "127.0.0.1:1";
  handlers: ConnHandlers | undefined;
  bytes = 0;
  writes = 0;
  wake: (() => void) | undefined;
  write(data: Uint8Array): boolean {
    this.bytes += data.length;
    this.writes++;
    this.wake?.();
    return true;
  }
  queuedBytes(): number {
    return 0;
  }
  pause(): void {}
  resume(): void {}
  close(): void {}
  setHandlers(h: ConnHandlers): void {
    this.handlers = h;
  }
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`;
}

function session(service: KvService): MemoryConn {
  const conn = new MemoryConn();
  const clock = getPlatform().clock;
  const node: RespNode = {
    clock,
    hostname: "bench",
    port: () => 0,
    startedMs: clock.nowMs(),
    connectionsMax: 10,
    clients: new Map(),
    stats: newStats(),
    config: defaultConfig({ hostname: "bench", port: () => 0, connectionsMax: 10 }),
  };
  const hub = new PubSubHub();
  new RespSession(conn, {
    service,
    consistency: "linearizable",
    cursors: new ScanCursors(),
    conn: newConnState(1),
    writer: new RespWriter(),
    node,
    pubsub: new PubSubClient(hub, { deliver: () => {} }),
  }, () => {});
  return conn;
}

/**
 * Sends `chunk` and waits for the write that answers it. Each read arrives as a new Buffer, as
 * from Bun's sockets (where `slice` of it is a view, not a copy).
 */
function roundTrip(conn: MemoryConn, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    conn.wake = resolve;
    conn.handlers?.onData(Buffer.from(chunk));
  });
}

async function main(): Promise<void> {
  const keys = flag("keys", 10_000), rounds = flag("rounds", 20_000);
  const sets = Math.max(keys, flag("sets", 20_000));
  const pipeline = flag("pipeline", 16);
  const platform = getPlatform();
  const dir = makeTempDir("resp-read-bench-");
  const server = await startServer(platform, {
    id: 1,
    peers: new Map([[1, "127.0.0.1:0"]]),
    dataDir: dir,
  });
  try {
    const service = process.env.BARE === "1"
      ? server.node
      : meteredService(server.node, new MetricsRegistry(), platform.clock);
    const conn = session(service);
    // As `redis-benchmark -t set -r KEYS -n SETS` leaves it: every key, then random ones again.
    const prng = createPrng(1);
    for (let i = 0; i < sets; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(sets, i + 50); j++) {
        const k = j < keys ? j : prng.int(keys);
        batch.push(command("SET", `key:${String(k).padStart(12, "0")}`, "xxx"));
      }
      await roundTrip(conn, utf8(batch.join("")));
    }
    const chunks: Uint8Array[] = [];
    for (let c = 0; c < 64; c++) {
      const gets = [];
      for (let j = 0; j < pipeline; j++) {
        const k = (c * pipeline + j) * 7919 % keys;
        gets.push(command("GET", `key:${String(k).padStart(12, "0")}`));
      }
      chunks.push(utf8(gets.join("")));
    }
    // A warm-up pass, then `repeat` measured ones: the least CPU is the steadiest figure on a
    // shared machine (other processes only ever add to it).
    const repeat = flag("repeat", 5);
    let best = Infinity;
    for (let pass = 0; pass <= repeat; pass++) {
      const before = conn.bytes;
      const t0 = performance.now(), cpu0 = process.cpuUsage();
      for (let r = 0; r < rounds; r++) await roundTrip(conn, chunks[r % chunks.length]);
      const ms = performance.now() - t0, cpu = process.cpuUsage(cpu0);
      const gets = rounds * pipeline, cpuPerGet = (cpu.user + cpu.system) / gets;
      if (pass > 0) best = Math.min(best, cpuPerGet);
      console.log(
        `${pass === 0 ? "warm-up" : `pass ${pass}`}: ${gets} GETs in pipelines of ${pipeline}: ` +
          `${(ms * 1000 / gets).toFixed(3)} µs/GET, CPU ${cpuPerGet.toFixed(3)} µs/GET, ` +
          `${((conn.bytes - before) / gets).toFixed(1)} reply bytes/GET`,
      );
    }
    console.log(`least CPU: ${best.toFixed(3)} µs/GET`);
  } finally {
    await server.close();
    removeTempDir(dir);
  }
}

await main();
