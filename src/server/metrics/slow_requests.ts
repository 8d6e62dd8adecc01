/**
 * `request.slow` log lines (docs/logging.md): a client request that took
 * longer than `--slow-request-ms`, with its kind and the first bytes of its key.
 */
import type { CommandInit } from "../../kv/command_codec.ts";
import { keyPrefix, type Logger } from "../log/logger.ts";

export interface SlowRequestLog {
  readonly logger: Logger;
  /** Requests slower than this are logged; 0 turns the lines off. */
  readonly slowMs: number;
}

/** The key a command is about, if it names one (a Redis command: its first argument). */
export function commandKey(command: CommandInit): Uint8Array | undefined {
  const b = command.body;
  if (b === undefined || b.case === undefined) return undefined;
  if (b.case === "redis") return b.value.commands?.[0]?.args?.[1];
  const key = "key" in b.value ? b.value.key : undefined;
  return key instanceof Uint8Array ? key : undefined;
}

/** The Redis command's name, for the request kind (`redis_set`). */
export function commandKind(prefix: string, command: CommandInit): string {
  const b = command.body;
  if (b?.case !== "redis") return `${prefix}_${b?.case ?? "none"}`;
  const name = b.value.commands?.[0]?.args?.[0];
  const text = name === undefined ? "none" : new TextDecoder().decode(name.subarray(0, 32));
  return `${prefix}_redis_${text.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
}

/** Logs one request if it was slow. */
export function noteSlowRequest(
  slow: SlowRequestLog | undefined,
  kind: string,
  ms: number,
  key: Uint8Array | undefined,
  result: string,
): void {
  if (slow === undefined || slow.slowMs <= 0 || ms < slow.slowMs) return;
  slow.logger.warn("request.slow", {
    kind,
    key: keyPrefix(key),
    ms: Math.round(ms),
    result,
  });
}
