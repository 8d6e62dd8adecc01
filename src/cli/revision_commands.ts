/**
 * Client commands that carry revisions (docs/coordination.md): get and scan
 * (now or at --revision, optionally as JSON), put (optionally on a lease or with a TTL),
 * txn (a JSON transaction on stdin) and compact.
 */
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { FRAME_BYTES_MAX } from "../limits.ts";
import type { ProcessHost } from "../platform/types.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { entryJson, parseTxnJson, txnResultJson } from "./txn_json.ts";
import { UsageError } from "./usage_error.ts";

export const REVISION_COMMANDS: ReadonlySet<string> = new Set([
  "get",
  "put",
  "scan",
  "txn",
  "compact",
]);

export interface RevisionFlags {
  readonly revision?: string;
  readonly lease?: string;
  /** put: the key expires after this many seconds (docs/coordination.md#key-expiry). */
  readonly ttl?: string;
  readonly limit?: string;
  readonly offset?: string;
  readonly json?: boolean;
}

/** A revision or lease id from the command line: a whole number up to 2^53. */
function idOf(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`${what} must be a whole number, got '${value}'`);
  }
  return n;
}

function count(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${what} must be a non-negative integer`);
  return Number(text);
}

function need(args: readonly string[], n: number, usage: string): void {
  if (args.length !== n) throw new UsageError(`usage: tinykv ${usage}`);
}

async function readTxn(host: ProcessHost): Promise<string> {
  if (host.readStdin === undefined) throw new UsageError("txn needs standard input");
  const bytes = await host.readStdin(FRAME_BYTES_MAX);
  if (bytes.length > FRAME_BYTES_MAX) {
    throw new UsageError(`the transaction on stdin is over ${FRAME_BYTES_MAX} bytes`);
  }
  return fromUtf8(bytes);
}

export async function runRevisionCommand(
  command: string,
  args: readonly string[],
  flags: RevisionFlags,
  c: TinyKvClient,
  host: ProcessHost,
): Promise<number> {
  const out = (line: string) => host.writeStdout(`${line}\n`);
  // A flag the command would ignore is a mistake worth saying (a put is not "at" a revision).
  if (flags.revision !== undefined && command !== "get" && command !== "scan") {
    throw new UsageError(`--revision applies to get and scan, not ${command}`);
  }
  if (flags.ttl !== undefined && command !== "put") {
    throw new UsageError(`--ttl applies to put, not ${command}`);
  }
  if (flags.lease !== undefined && command !== "put") {
    throw new UsageError(`--lease applies to put, not ${command} (a txn names it per put)`);
  }
  switch (command) {
    case "put": {
      need(args, 2, "put KEY VALUE [--lease ID] [--ttl SECONDS]");
      const ttl = flags.ttl === undefined ? undefined : count(flags.ttl, "--ttl", 0);
      if (ttl === 0) throw new UsageError("--ttl must be at least 1 second");
      const ttlMs = ttl === undefined ? undefined : ttl * 1000;
      await c.put(args[0], args[1], { lease: idOf(flags.lease, "--lease"), ttlMs });
      out("OK");
      return 0;
    }
    case "get": {
      need(args, 1, "get KEY [--revision R] [--json]");
      const e = await c.getEntry(args[0], { revision: idOf(flags.revision, "--revision") });
      if (e === undefined) {
        host.writeStderr(`tinykv: key not found: ${args[0]}\n`);
        return 1;
      }
      out(flags.json ? JSON.stringify(entryJson(e)) : fromUtf8(e.value));
      return 0;
    }
    case "scan":
      return await scanCommand(args, flags, c, host);
    case "txn": {
      need(args, 0, "txn < TRANSACTION.json");
      const result = await c.txn(parseTxnJson(await readTxn(host)));
      out(JSON.stringify(txnResultJson(result)));
      return 0;
    }
    case "compact": {
      need(args, 1, "compact REVISION");
      const revision = idOf(args[0], "REVISION") ?? 0;
      const now = await c.compact(revision);
      out(`compacted: revisions below ${revision} are gone (store revision ${now})`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** `scan`: one page; stderr says how to get the next when it stopped at --limit. */
async function scanCommand(
  args: readonly string[],
  flags: RevisionFlags,
  c: TinyKvClient,
  host: ProcessHost,
): Promise<number> {
  if (args.length > 1) {
    throw new UsageError("usage: tinykv scan [PREFIX] [--limit N] [--offset N] [--revision R]");
  }
  const out = (line: string) => host.writeStdout(`${line}\n`);
  const limit = count(flags.limit, "--limit", 100);
  const offset = count(flags.offset, "--offset", 0);
  const page = await c.scan({
    prefix: args[0] ?? "",
    limit,
    offset,
    revision: idOf(flags.revision, "--revision"),
  });
  if (flags.json) {
    out(JSON.stringify({ revision: page.revision, items: page.items.map(entryJson) }));
  } else for (const i of page.items) out(`${fromUtf8(i.key)}\t${fromUtf8(i.value)}`);
  // Stopped at the limit with more to come: say so where a pipe will not swallow it.
  if (page.nextCursor !== undefined) {
    host.writeStderr(
      `tinykv: scan stopped at --limit ${limit}; for the next page run it again with ` +
        `--offset ${offset + page.items.length} --revision ${page.revision}\n`,
    );
  }
  return 0;
}
