/**
 * Client commands: put, get, delete, scan, txn, compact, status, regions, bench, against
 * `--endpoints` (default: local).
 */
import { TinyKvClient } from "../client/tinykv_client.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { parseHostPort } from "./peers.ts";
import { bench, type BenchFlags } from "./bench.ts";
import { REVISION_COMMANDS, type RevisionFlags, runRevisionCommand } from "./revision_commands.ts";
import { statusCommand } from "./status_command.ts";
import { type LeaseFlags, runLeaseCommand } from "./lease_command.ts";
import { UsageError } from "./usage_error.ts";
import { clientCredentials, type CredentialFlags } from "./credential_flags.ts";
import { parseDuration } from "./duration.ts";
import { localPorts } from "./local_cluster.ts";
import { watchCommand, type WatchFlags } from "./watch_command.ts";
import { regionsCommand } from "./regions_command.ts";
import { placementSummary } from "./node_command.ts";

export interface ClientFlags extends BenchFlags, RevisionFlags, WatchFlags, CredentialFlags {
  readonly endpoints?: string;
  readonly timeout?: string;
  readonly "base-port"?: string;
}

/**
 * `--endpoints`; without it the local node, or with `--base-port P` node 1 of a
 * `local-cluster --base-port P` (127.0.0.1:P+1).
 */
export function endpointsOf(
  flags: { readonly endpoints?: string; readonly "base-port"?: string },
): string[] {
  const base = flags["base-port"];
  const local = base === undefined
    ? "127.0.0.1:7001"
    : `127.0.0.1:${localPorts(base).protobuf + 1}`;
  return (flags.endpoints ?? local).split(",").map((e) => {
    const { host, port } = parseHostPort(e, "--endpoints entry");
    return `${host}:${port}`;
  });
}

/** `--timeout`: how long a command may keep trying (default: the client's 10 s). */
export function timeoutOf(flags: { readonly timeout?: string }): number | undefined {
  return flags.timeout === undefined ? undefined : parseDuration(flags.timeout, "--timeout");
}

async function client(
  flags:
    & { readonly endpoints?: string; readonly timeout?: string; readonly "base-port"?: string }
    & CredentialFlags,
  platform: Platform,
  host: ProcessHost,
): Promise<TinyKvClient> {
  return new TinyKvClient({
    endpoints: endpointsOf(flags),
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    ...await clientCredentials(flags, host),
    deadlineMs: timeoutOf(flags),
    routing: true, // unrouted against nodes that do not answer Regions (route_cache.ts)
  });
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
  const c = await client(flags, platform, host);
  try {
    if (REVISION_COMMANDS.has(command)) {
      return await runRevisionCommand(command, args, flags, c, host);
    }
    switch (command) {
      case "delete":
        need(args, 1, "delete KEY");
        host.writeStdout((await c.delete(args[0])) ? "deleted\n" : "not found\n");
        return 0;
      case "watch":
        return await watchCommand(args, flags, c, host);
      case "bench":
        need(args, 0, "bench [--op put|get|mixed] [--concurrency N] [--duration S] …");
        return await bench(flags, c, platform, host);
      case "status":
        need(args, 0, "status [--json]");
        return await statusCommand(endpointsOf(flags), flags.json === true, platform, host, {
          ...await clientCredentials(flags, host),
        }, {
          timeoutMs: timeoutOf(flags),
          regions: () => c.regions(),
          placement: () => placementSummary(c.options),
        });
      case "regions":
        return await regionsCommand(args, flags.json === true, c, host);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } finally {
    c.close();
  }
}

/** `tinykv lease …` against `--endpoints`. */
export async function runLease(
  args: readonly string[],
  flags: LeaseFlags & CredentialFlags & { readonly endpoints?: string; readonly timeout?: string },
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  const c = await client(flags, platform, host);
  try {
    return await runLeaseCommand(args, flags, c, host);
  } finally {
    c.close();
  }
}
