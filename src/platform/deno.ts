/**
 * The Deno platform: Deno's file API, node:net sockets (faster than
 * Deno.listen in docs/decisions/0001-toolchain.md), Deno.serve for HTTP. Touches `Deno` only
 * inside functions so one bundle can hold both adapters.
 */
import { readBounded } from "./read_bounded.ts";
import { serveHttps } from "./https_server.ts";
import { DenoFileSystem } from "./deno_fs.ts";
import { NodeNet } from "./node_net.ts";
import { processUsage } from "./process_usage.ts";
import { lookupHost } from "./host_lookup.ts";
import { afterIo } from "./after_io.ts";
import { cryptoSeed, RealClock } from "./real_clock.ts";
import type { FetchHandler, HttpServer, ListenOptions, Platform, ProcessHost } from "./types.ts";
import { startStorageWorker, storageWorkerParent } from "./web_worker.ts";

function serveHttp(fetch: FetchHandler, options: ListenOptions): Promise<HttpServer> {
  if (options.tls !== undefined) return serveHttps(fetch, options, options.tls);
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        port: options.port,
        hostname: options.hostname,
        onListen: (addr) => {
          resolve({
            port: "port" in addr ? addr.port : options.port,
            close: () => server.shutdown(),
          });
        },
      }, fetch);
    } catch (err) {
      reject(err);
    }
  });
}

export function createDenoPlatform(): Platform {
  return {
    runtime: "deno",
    fs: new DenoFileSystem(),
    net: new NodeNet(),
    clock: new RealClock(),
    randomSeed: cryptoSeed,
    serveHttp,
    processUsage,
    lookupHost,
    afterIo,
    startStorageWorker,
    storageWorkerParent,
  };
}

export function createDenoProcessHost(): ProcessHost {
  const encoder = new TextEncoder();
  return {
    argv: () => [...Deno.args],
    exit: (code) => Deno.exit(code),
    onShutdown: (fn) => {
      Deno.addSignalListener("SIGINT", fn);
      Deno.addSignalListener("SIGTERM", fn);
    },
    onReload: (fn) => Deno.addSignalListener("SIGHUP", fn),
    env: (name) => Deno.env.get(name),
    writeStdout: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
    writeStderr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
    readStdin: (maxBytes) => readBounded(Deno.stdin.readable, maxBytes),
  };
}
