/**
 * `tinykv lease grant TTL | keep-alive ID | revoke ID | list [--json] |
 * time-to-live ID [--keys]` (docs/coordination.md, Leases).
 */
import { TinyKvError } from "../client/errors.ts";
import type { LeaseStatus, TinyKvClient } from "../client/tinykv_client.ts";
import type { ProcessHost } from "../platform/types.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { UsageError } from "./usage_error.ts";

export interface LeaseFlags {
  readonly json?: boolean;
  readonly keys?: boolean;
}

const USAGE = "usage: tinykv lease grant TTL | keep-alive ID | revoke ID | list [--json] | " +
  "time-to-live ID [--keys]";

function numberArg(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,15}$/.test(text)) {
    throw new UsageError(`${what} must be a whole number`);
  }
  return Number(text);
}

function exactly(args: readonly string[], n: number): void {
  if (args.length !== n) throw new UsageError(USAGE);
}

function leaseJson(l: LeaseStatus) {
  return { id: l.id, grantedTtlSeconds: l.grantedTtlSeconds, remainingMs: l.remainingMs };
}

export async function runLeaseCommand(
  args: readonly string[],
  flags: LeaseFlags,
  c: TinyKvClient,
  host: ProcessHost,
): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "grant": {
      exactly(rest, 1);
      const lease = await c.grant(numberArg(rest[0], "TTL"));
      host.writeStdout(`${lease.id}\n`);
      return 0;
    }
    case "revoke":
      exactly(rest, 1);
      await c.revoke(numberArg(rest[0], "lease ID"));
      host.writeStdout("revoked\n");
      return 0;
    case "keep-alive":
      exactly(rest, 1);
      return await keepAlive(numberArg(rest[0], "lease ID"), c, host);
    case "list": {
      exactly(rest, 0);
      const leases = await c.leases();
      if (flags.json) host.writeStdout(`${JSON.stringify(leases.map(leaseJson))}\n`);
      else {
        for (const l of leases) {
          host.writeStdout(`${l.id}\t${l.grantedTtlSeconds}s\t${l.remainingMs}ms\n`);
        }
      }
      return 0;
    }
    case "time-to-live": {
      exactly(rest, 1);
      const t = await c.timeToLive(numberArg(rest[0], "lease ID"), { keys: flags.keys });
      host.writeStdout(
        `lease ${t.id}: granted ${t.grantedTtlSeconds}s, remaining ${t.remainingMs}ms\n`,
      );
      for (const key of t.keys) host.writeStdout(`${fromUtf8(key)}\n`);
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}

/** Keeps the lease alive until interrupted (exit 0) or until it is gone (exit 1). */
async function keepAlive(id: number, c: TinyKvClient, host: ProcessHost): Promise<number> {
  const handle = c.keepAlive(id);
  host.onShutdown(() => handle.close());
  try {
    for await (const r of handle) {
      host.writeStdout(`lease ${r.id} kept alive, TTL ${r.remainingMs}ms\n`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof TinyKvError)) throw err;
    host.writeStderr(`tinykv: lease ${id} is gone: ${err.message}\n`);
    return 1;
  }
}
