/**
 * The Bun platform: node:fs files (Bun's own file API has no fsync), Bun.listen
 * sockets and Bun.serve for HTTP, each measured fastest under Bun
 * (docs/decisions/0001-toolchain.md). Touches `Bun` only inside functions.
 */
import process from "node:process";
import { bunApi } from "./bun_api.ts";
import { readBounded } from "./read_bounded.ts";
import { serveHttps } from "./https_server.ts";
import { BunNet } from "./bun_net.ts";
import { NodeFileSystem } from "./node_fs.ts";
import { processUsage } from "./process_usage.ts";
import { lookupHost } from "./host_lookup.ts";
import { afterIo } from "./after_io.ts";
import { cryptoSeed, RealClock } from "./real_clock.ts";
import type { FetchHandler, HttpServer, ListenOptions, Platform, ProcessHost } from "./types.ts";
import { startStorageWorker, storageWorkerParent } from "./web_worker.ts";

function serveHttp(fetch: FetchHandler, options: ListenOptions): Promise<HttpServer> {
  if (options.tls !== undefined) return serveHttps(fetch, options, options.tls);
  const server = bunApi().serve({ port: options.port, hostname: options.hostname, fetch });
  return Promise.resolve({
    port: server.port ?? options.port,
    close: () => server.stop(true),
  });
}

export function createBunPlatform(): Platform {
  return {
    runtime: "bun",
    fs: new NodeFileSystem(),
    net: new BunNet(),
    clock: new RealClock(),
    scanCopies: "slice",
    randomSeed: cryptoSeed,
    serveHttp,
    processUsage,
    collectGarbage: () => bunApi().gc(true),
    lookupHost,
    afterIo,
    startStorageWorker,
    storageWorkerParent,
  };
}

export function createBunProcessHost(): ProcessHost {
  return {
    argv: () => process.argv.slice(2),
    exit: (code) => process.exit(code),
    onShutdown: (fn) => {
      process.on("SIGINT", fn);
      process.on("SIGTERM", fn);
    },
    onReload: (fn) => void process.on("SIGHUP", fn),
    env: (name) => process.env[name],
    writeStdout: (text) => void process.stdout.write(text),
    writeStderr: (text) => void process.stderr.write(text),
    readStdin: (maxBytes) => readBounded(process.stdin, maxBytes),
  };
}
