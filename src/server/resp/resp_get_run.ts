/**
 * A run of plain GETs one connection pipelined (consecutive in one socket read, each parsed by
 * the parser's fast path) as one slot of the session: one read barrier, one storage view and
 * one pass over the keys for all of them, each value copied once from the engine into the
 * run's replies, already in RESP form. Each GET still answers on its own, in order, exactly as
 * it would alone; only the bookkeeping per command is shared. The session takes this path only
 * where nothing per command could differ: authentication off, no MULTI, CLIENT REPLY ON.
 */
import { type GetSink, readGets } from "../../kv/redis/read_run.ts";
import { RESP_GET_RUN_MAX } from "../../limits_ops.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import type { Reply, RespContext, Slot } from "./resp_command.ts";
import { countCommand, errorReply } from "./resp_dispatch.ts";
import { GET_UPPER, isPlainGet } from "./resp_get_name.ts";
import type { RespCommand } from "./resp_parser.ts";
import { subscribedRefusal } from "./resp_pubsub.ts";
import { holdsPart } from "./resp_redis_bridge.ts";
import type { RespWriter } from "./resp_writer.ts";

/**
 * The plain GETs at `waiting[from]` and after, as one slot answering `commands` of them (counted
 * for INFO and CLIENT LIST); undefined where they must go one by one (users or MULTI).
 */
export function takeGetRun(
  ctx: RespContext,
  waiting: readonly RespCommand[],
  from: number,
): (Slot & { readonly commands: number }) | undefined {
  if (ctx.auth !== undefined || ctx.conn.multi !== undefined || holdsPart(ctx)) return undefined;
  const keys: Uint8Array[] = [];
  for (let i = from; i < waiting.length && keys.length < RESP_GET_RUN_MAX; i++) {
    if (!isPlainGet(waiting[i])) break;
    keys.push(waiting[i][1]);
  }
  countCommand(ctx, "GET", waiting[from], true);
  ctx.node.stats.commandsProcessed += keys.length - 1;
  return {
    kind: "read",
    start: () => startGets(ctx, keys),
    started: false,
    done: false,
    reply: undefined,
    commands: keys.length,
  };
}

function startGets(ctx: RespContext, keys: Uint8Array[]): Reply | Promise<Reply> {
  const n = keys.length;
  // A RESP2 connection that subscribed meanwhile refuses each of them, as it would one GET.
  const refusal = subscribedRefusal(ctx, [GET_UPPER]);
  if (refusal !== undefined) return (w) => repeat(w, n, (w) => w.error(refusal));
  const db = ctx.conn.db;
  const read = (kv: KvStateMachine): Reply => {
    const replies = new GetReplies();
    readGets(kv, db, keys, replies);
    return (w) => replies.writeTo(w);
  };
  try {
    const now = ctx.service.readStateNow?.(ctx.consistency, read);
    if (now !== undefined) return now.value;
  } catch (err) {
    return failed(err, n);
  }
  return ctx.service.readState(ctx.consistency, read).catch((err) => failed(err, n));
}

/** The read failed (no leader, timeout, a fault): every GET of the run gets the error. */
function failed(err: unknown, n: number): Reply {
  const one = errorReply(err);
  return (w) => repeat(w, n, one);
}

function repeat(w: RespWriter, n: number, one: Reply): void {
  for (let i = 0; i < n; i++) one(w);
}

const CR = 13, LF = 10;

/**
 * A run's replies: values as RESP bulk strings in one buffer; a missing key's null (whose form
 * depends on the protocol the connection speaks when the replies go out) and an error are
 * noted by where they fall between the bulks, and written in place at the end.
 */
class GetReplies implements GetSink {
  #buf = new Uint8Array(256);
  #len = 0;
  /** Offsets in #buf where a reply that is not a value goes, and it (undefined: null). */
  readonly #at: number[] = [];
  readonly #lines: (string | undefined)[] = [];

  value(src: Uint8Array, off: number, len: number): void {
    if (this.#len + len + 16 > this.#buf.length) this.#grow(len + 16);
    const buf = this.#buf;
    let at = this.#len;
    buf[at++] = 0x24; // $
    at = writeDecimal(buf, at, len);
    buf[at++] = CR, buf[at++] = LF;
    if (len <= 64) { for (let i = 0; i < len; i++) buf[at + i] = src[off + i]; }
    else buf.set(src.subarray(off, off + len), at);
    at += len;
    buf[at++] = CR, buf[at++] = LF;
    this.#len = at;
  }

  missing(): void {
    this.#at.push(this.#len);
    this.#lines.push(undefined);
  }

  error(line: string): void {
    this.#at.push(this.#len);
    this.#lines.push(line);
  }

  writeTo(w: RespWriter): void {
    let from = 0;
    for (let i = 0; i < this.#at.length; i++) {
      const at = this.#at[i], line = this.#lines[i];
      if (at > from) w.raw(this.#buf, from, at - from);
      if (line === undefined) w.null();
      else w.error(line);
      from = at;
    }
    if (this.#len > from) w.raw(this.#buf, from, this.#len - from);
  }

  #grow(more: number): void {
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + more));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}

/** Writes `n` (a safe non-negative integer) in decimal at `at`; returns the offset after it. */
function writeDecimal(buf: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  for (let i = digits - 1, m = n; i >= 0; i--, m = Math.floor(m / 10)) buf[at + i] = 0x30 + m % 10;
  return at + digits;
}
