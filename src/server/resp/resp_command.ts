/** Shared types of the RESP command table. */
import type { Consistency, KvService } from "../kv_service.ts";
import type { RespWriter } from "./resp_writer.ts";
import type { ScanCursors } from "./scan_cursors.ts";

/** Per-connection protocol state (HELLO, CLIENT SETNAME, QUIT). */
export interface RespConnState {
  readonly id: number;
  name: string;
  quit: boolean;
}

export interface RespContext {
  readonly service: KvService;
  readonly consistency: Consistency;
  readonly cursors: ScanCursors;
  readonly conn: RespConnState;
  readonly writer: RespWriter;
}

/** Writes one reply; runs in pipeline order once the command has finished. */
export type Reply = (w: RespWriter) => void;

/**
 * read: may run alongside other reads of the same connection; write: may run
 * alongside other writes (they enter the log in order); local: no data.
 * A read never overtakes an earlier write of its connection, nor the reverse.
 */
export type CommandKind = "read" | "write" | "local";

export interface RespCommandSpec {
  /** Redis arity: exact argument count including the name, or -N for "at least N". */
  readonly arity: number;
  readonly kind: CommandKind;
  run(ctx: RespContext, args: readonly Uint8Array[]): Reply | Promise<Reply>;
}

/** A wrong command (syntax, bad number): `-ERR message`, retrying will not help. */
export class RespCommandError extends Error {
  override name = "RespCommandError";
}

export function arityOk(arity: number, count: number): boolean {
  return arity >= 0 ? count === arity : count >= -arity;
}

const INTEGER = /^-?(0|[1-9][0-9]{0,18})$/;

/** Parses a Redis integer argument (signed 64-bit, no spaces or '+'). */
export function parseInteger(arg: Uint8Array): bigint {
  const text = new TextDecoder().decode(arg);
  const n = INTEGER.test(text) ? BigInt(text) : undefined;
  if (n === undefined || n < -(2n ** 63n) || n > 2n ** 63n - 1n) {
    throw new RespCommandError("value is not an integer or out of range");
  }
  return n;
}
