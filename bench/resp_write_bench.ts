/**
 * CPU per SET on the RESP write path, without sockets: one in-process node, `--clients`
 * sessions each sending pipelines of `--pipeline` SETs through an in-memory connection, all
 * at once, round after round (as `redis-benchmark -c 50 -P 16 -t set` does). It isolates what
 * a node spends per SET (parse, dispatch, proposal, Raft batch, WAL, apply, reply) from the
 * kernel's socket share. CPU is the process's (every thread: the WAL's fsyncs and the storage
 * worker included).
 *
 *   bun bench/resp_write_bench.ts [--clients 50] [--pipeline 16] [--rounds 400] [--keys 10000]
 *     [--repeat 5]
 *   deno run -A bench/resp_write_bench.ts ...
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

/** A connection in memory: counts reply bytes and `+OK`s, wakes its waiter once all came. */
class MemoryConn implements Conn {
  readonly remoteAddress = "127.0.0.1:1";
  handlers: ConnHandlers | undefined;
  bytes = 0;
  replies = 0;
  want = 0;
  wake: (() => void) | undefined;
  write(data: Uint8Array): boolean {
    this.bytes += data.length;
    for (const b of data) if (b === 0x0a) this.replies++; // one line per +OK
    if (this.replies >= this.want) this.wake?.();
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

function session(service: KvService, id: number): MemoryConn {
  const conn = new MemoryConn();
  const clock = getPlatform().clock;
  const node: RespNode = {
    clock,
    hostname: "bench",
    port: () => 0,
    startedMs: clock.nowMs(),
    connectionsMax: 100,
    clients: new Map(),
    stats: newStats(),
    config: defaultConfig({ hostname: "bench", port: () => 0, connectionsMax: 100 }),
  };
  new RespSession(conn, {
    service,
    consistency: "linearizable",
    cursors: new ScanCursors(),
    conn: newConnState(id),
    writer: new RespWriter(),
    node,
    pubsub: new PubSubClient(new PubSubHub(), { deliver: () => {} }),
  }, () => {});
  return conn;
}

/** Sends `chunk` (a new Buffer, as from Bun's sockets) and waits for `n` more replies. */
function roundTrip(conn: MemoryConn, chunk: Uint8Array, n: number): Promise<void> {
  return new Promise((resolve) => {
    conn.want = conn.replies + n;
    conn.wake = resolve;
    conn.handlers?.onData(Buffer.from(chunk));
  });
}

async function main(): Promise<void> {
  const clients = flag("clients", 50), pipeline = flag("pipeline", 16);
  const rounds = flag("rounds", 400), keys = flag("keys", 10_000);
  const platform = getPlatform();
  const dir = makeTempDir("resp-write-bench-");
  const server = await startServer(platform, {
    id: 1,
    peers: new Map([[1, "127.0.0.1:0"]]),
    dataDir: dir,
  });
  try {
    const service = meteredService(server.node, new MetricsRegistry(), platform.clock);
    const conns = Array.from({ length: clients }, (_, i) => session(service, i + 1));
    const prng = createPrng(1);
    const chunks: Uint8Array[] = [];
    for (let c = 0; c < 256; c++) {
      const sets = [];
      for (let j = 0; j < pipeline; j++) {
        const k = prng.int(keys);
        sets.push(command("SET", `key:${String(k).padStart(12, "0")}`, "xxx"));
      }
      chunks.push(utf8(sets.join("")));
    }
    const repeat = flag("repeat", 5);
    let best = Infinity, next = 0;
    for (let pass = 0; pass <= repeat; pass++) {
      const t0 = performance.now(), cpu0 = process.cpuUsage();
      // Each client keeps one pipeline in flight, as redis-benchmark does.
      await Promise.all(conns.map(async (conn) => {
        for (let r = 0; r < rounds; r++) {
          await roundTrip(conn, chunks[next++ % chunks.length], pipeline);
        }
      }));
      const ms = performance.now() - t0, cpu = process.cpuUsage(cpu0);
      const sets = clients * rounds * pipeline, cpuPerSet = (cpu.user + cpu.system) / sets;
      if (pass > 0) best = Math.min(best, cpuPerSet);
      console.log(
        `${pass === 0 ? "warm-up" : `pass ${pass}`}: ${sets} SETs, ${clients} clients, ` +
          `pipelines of ${pipeline}: ${(sets / ms * 1000).toFixed(0)} SET/s, ` +
          `CPU ${cpuPerSet.toFixed(2)} µs/SET (user ${(cpu.user / sets).toFixed(2)})`,
      );
    }
    console.log(`least CPU: ${best.toFixed(2)} µs/SET`);
  } finally {
    await server.close();
    removeTempDir(dir);
  }
}

await main();
