/** `tinykv watch PREFIX`: prints every change under PREFIX as it happens, until interrupted. */
import type { TinyKvClient } from "../client/tinykv_client.ts";
import type { WatchChange } from "../client/watch_wire.ts";
import type { ProcessHost } from "../platform/types.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { UsageError } from "./usage_error.ts";

export interface WatchFlags {
  readonly "from-revision"?: string;
  readonly "prev-kv"?: boolean;
  readonly json?: boolean;
}

const USAGE = "usage: tinykv watch PREFIX [--from-revision R] [--prev-kv] [--json]";

function revisionOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError("--from-revision must be a positive integer");
  }
  return Number(text);
}

/** One JSON object per change; prevValue (null when the key did not exist) with --prev-kv. */
function jsonLine(e: WatchChange, prevKv: boolean): string {
  const line: Record<string, string | number | null> = {
    type: e.type,
    key: fromUtf8(e.key),
    value: fromUtf8(e.value),
    revision: e.modRevision,
  };
  if (prevKv) line.prevValue = e.prev === undefined ? null : fromUtf8(e.prev.value);
  return JSON.stringify(line);
}

function textLine(e: WatchChange, prevKv: boolean): string {
  const was = !prevKv
    ? ""
    : e.prev === undefined
    ? " (was absent)"
    : ` (was ${fromUtf8(e.prev.value)})`;
  const what = e.type === "put"
    ? `PUT ${fromUtf8(e.key)} = ${fromUtf8(e.value)}`
    : `DELETE ${fromUtf8(e.key)}`;
  return `${e.modRevision} ${what}${was}`;
}

export async function watchCommand(
  args: readonly string[],
  flags: WatchFlags,
  client: TinyKvClient,
  host: ProcessHost,
): Promise<number> {
  if (args.length !== 1) throw new UsageError(USAGE);
  const prevKv = flags["prev-kv"] === true;
  const watch = client.watch({ prefix: args[0] }, {
    fromRevision: revisionOf(flags["from-revision"]),
    prevKv,
  });
  host.onShutdown(() => watch.cancel());
  for await (const update of watch) {
    for (const e of update.events) {
      host.writeStdout(`${flags.json ? jsonLine(e, prevKv) : textLine(e, prevKv)}\n`);
    }
  }
  return 0;
}
