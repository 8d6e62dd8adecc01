/**
 * The shape of a Redis command in TinyKV's table, and the context a command
 * runs in. `kind` says where it runs:
 *
 *   write    proposed through the Raft log; runs in every replica's apply step
 *   read     runs on the node's local engine after the read barrier
 *   session  connection state (MULTI, WATCH, SUBSCRIBE, HELLO, CLIENT, ...):
 *            the RESP session answers it and it never reaches the executor
 */
import { fromUtf8 } from "../../util/bytes.ts";
import type { RedisDb } from "./database.ts";
import { fail, NOT_INTEGER } from "./errors.ts";
import type { RedisReply } from "./reply.ts";
import type { RedisStorage } from "./storage.ts";

export type CommandKind = "write" | "read" | "session";

export interface ExecContext {
  /** The selected database (SELECT inside MULTI changes it for what follows). */
  db: RedisDb;
  readonly storage: RedisStorage;
  /** Inside MULTI/EXEC: every command must complete in this one step. */
  readonly multi: boolean;
  select(index: number): void;
  /** A keyspace event of the selected database (notify-keyspace-events). */
  notify(event: string, key: Uint8Array, cls: string): void;
}

export type RunCommand = (c: ExecContext, args: readonly Uint8Array[]) => RedisReply;

export interface RedisCommandSpec {
  /** Redis arity: the exact argument count with the name, or -N for "at least N". */
  readonly arity: number;
  readonly kind: CommandKind;
  /** Redis's command flags as COMMAND reports them ("write", "readonly", "fast", ...). */
  readonly flags: readonly string[];
  /** First key, last key (-1: the last argument), step; 0,0,0 for no keys. */
  readonly keys: readonly [number, number, number];
  readonly run?: RunCommand;
}

export function arityOk(arity: number, count: number): boolean {
  // `count + arity`, not `count >= -arity`: inlined into the RESP session's dispatch, the
  // negation left JSC's optimized code exiting on every other SET (issue 14).
  return arity >= 0 ? count === arity : count + arity >= 0;
}

/** Redis's string2ll: no sign but '-', no leading zeros, no "-0". */
const INTEGER = /^(0|-?[1-9][0-9]{0,18})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether Redis's string2ll takes the text as a signed 64-bit integer. */
export function isIntegerText(text: string): boolean {
  if (!INTEGER.test(text)) return false;
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** A signed 64-bit integer argument, as Redis parses it (no '+', spaces or leading zeros). */
export function int64Arg(arg: Uint8Array, error = NOT_INTEGER): bigint {
  const text = fromUtf8(arg);
  const n = INTEGER.test(text) ? BigInt(text) : undefined;
  if (n === undefined || n < INT64_MIN || n > INT64_MAX) fail(error);
  return n;
}

/** An integer argument that must fit a JavaScript number exactly. */
export function intArg(arg: Uint8Array, error = NOT_INTEGER): number {
  const n = int64Arg(arg, error);
  if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) fail(error);
  return Number(n);
}

export function isInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

export const upper = (b: Uint8Array): string => fromUtf8(b).toUpperCase();
