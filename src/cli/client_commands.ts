/** Client commands: put, get, delete, scan, status, against `--endpoints` (default: local). */
import { TinyKvClient } from "../client/tinykv_client.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { parseHostPort } from "./peers.ts";
import { bench, type BenchFlags } from "./bench.ts";
import { statusCommand } from "./status_command.ts";
import { UsageError } from "./usage_error.ts";
import { watchCommand, type WatchFlags } from "./watch_command.ts";

export interface ClientFlags extends BenchFlags, WatchFlags {
  readonly endpoints?: string;
  readonly limit?: string;
  readonly offset?: string;
}

export function endpointsOf(flags: ClientFlags): string[] {
  return (flags.endpoints ?? "127.0.0.1:7001").split(",").map((e) => {
    const { host, port } = parseHostPort(e, "--endpoints entry");
    return `${host}:${port}`;
  });
}

function client(flags: ClientFlags, platform: Platform): TinyKvClient {
  return new TinyKvClient({
    endpoints: endpointsOf(flags),
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
  });
}

function count(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${what} must be a non-negative integer`);
  return Number(text);
}

function need(args: readonly string[], n: number, usage: string): void {
  if (args.length !== n) throw new UsageError(`usage: tinykv ${usage}`);
}

export async function runClientCommand(
  command: string,
  args: readonly string[],
  flags: ClientFlags,
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  const c = client(flags, platform);
  try {
    switch (command) {
      case "put":
        need(args, 2, "put KEY VALUE");
        await c.put(args[0], args[1]);
        host.writeStdout("OK\n");
        return 0;
      case "get": {
        need(args, 1, "get KEY");
        const v = await c.get(args[0]);
        if (v === undefined) {
          host.writeStderr(`tinykv: key not found: ${args[0]}\n`);
          return 1;
        }
        host.writeStdout(`${fromUtf8(v)}\n`);
        return 0;
      }
      case "delete":
        need(args, 1, "delete KEY");
        host.writeStdout((await c.delete(args[0])) ? "deleted\n" : "not found\n");
        return 0;
      case "scan": {
        if (args.length > 1) {
          throw new UsageError("usage: tinykv scan [PREFIX] [--limit N] [--offset N]");
        }
        const page = await c.scan({
          prefix: args[0] ?? "",
          limit: count(flags.limit, "--limit", 100),
          offset: count(flags.offset, "--offset", 0),
        });
        for (const item of page.items) {
          host.writeStdout(`${fromUtf8(item.key)}\t${fromUtf8(item.value)}\n`);
        }
        return 0;
      }
      case "watch":
        return await watchCommand(args, flags, c, host);
      case "bench":
        need(args, 0, "bench [--op put|get|mixed] [--concurrency N] [--duration S] …");
        return await bench(flags, c, platform, host);
      case "status":
        need(args, 0, "status [--json]");
        return await statusCommand(endpointsOf(flags), flags.json === true, platform, host);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } finally {
    c.close();
  }
}
