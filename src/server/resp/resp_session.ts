/**
 * One RESP connection: parses pipelined commands, runs them with as much
 * overlap as ordering allows, and writes replies strictly in command order.
 *
 * Ordering: consecutive reads run together, and consecutive writes run
 * together (they enter the Raft log in the order they were proposed), but a
 * read never starts before an earlier write of the connection has finished,
 * nor a write before an earlier read — so each connection observes its own
 * commands in order, as with Redis.
 */
import {
  CONN_WRITE_QUEUE_BYTES_MAX,
  REDIS_MULTI_COMMANDS_MAX,
  RESP_PIPELINE_MAX,
} from "../../limits.ts";
import type { Conn } from "../../platform/types.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import { arityOk } from "../../kv/redis/command.ts";
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { RedisError, unknownCommand, wrongArity } from "../../kv/redis/errors.ts";
import { QUEUED } from "../../kv/redis/reply.ts";
import {
  type CommandKind,
  type Reply,
  RespCommandError,
  type RespContext,
  type Slot,
  type Start,
} from "./resp_command.ts";
import { RESP_COMMANDS } from "./resp_commands.ts";
import { respErrorFor } from "./resp_errors.ts";
import { type RespCommand, RespParser, RespProtocolError } from "./resp_parser.ts";
import { firstReply, proposeToEnd, readOnNode } from "./resp_redis_bridge.ts";
import { subscribedRefusal, unlessSubscribed } from "./resp_pubsub.ts";
import { writeReply } from "./resp_reply.ts";
import { ReplyMode } from "./resp_reply_mode.ts";

function errorReply(err: unknown): Reply {
  if (err instanceof RedisError) return (w) => w.error(err.line);
  if (err instanceof RespCommandError) {
    const m = err.message;
    return (w) => w.error(/^(NOPROTO|WRONGPASS) /.test(m) ? m : `ERR ${m}`);
  }
  const message = respErrorFor(err);
  return (w) => w.error(message);
}

/** Commands that act on the transaction itself rather than being queued by it. */
const MULTI_CONTROL = new Set(["EXEC", "DISCARD", "MULTI", "WATCH", "QUIT", "RESET"]);

/** Commands CLIENT LIST shows with their subcommand ("client|list"), as Redis does. */
const CONTAINERS = new Set(["CLIENT", "COMMAND", "CONFIG", "OBJECT"]);

/** A data command of the Redis table: a read on this node, or a write through the log. */
function dataCommand(ctx: RespContext, args: RespCommand, kind: "read" | "write"): Start {
  return async () => {
    const run = { db: ctx.conn.db, commands: [args], multi: false, watches: [] };
    if (kind === "write") ctx.conn.wrote = true;
    const result = kind === "write" ? await proposeToEnd(ctx, run) : await readOnNode(ctx, run);
    const reply = firstReply(result);
    return (w) => writeReply(w, reply);
  };
}

export class RespSession {
  readonly #parser = new RespParser();
  readonly #slots: Slot[] = [];
  readonly #replyMode = new ReplyMode();
  #runningKind: CommandKind | undefined;
  #running = 0;
  #paused = false;
  #closed = false;
  /** Bad input arrived: nothing after it is read; the connection closes after its error. */
  #protocolFailed = false;

  constructor(readonly conn: Conn, readonly ctx: RespContext, readonly onClose: () => void) {
    conn.setHandlers({
      onData: (chunk) => this.#onData(chunk),
      onClose: () => this.#shutdown(),
    });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed || this.#protocolFailed) return;
    let commands: RespCommand[];
    let failure: RespProtocolError | undefined;
    try {
      commands = this.#parser.push(chunk);
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      commands = err.completed;
      failure = err;
    }
    for (const args of commands) this.#slots.push(this.#replyMode.slot(args, (a) => this.#slot(a)));
    // As Redis: the commands before bad input run and are answered, then the error, then the close.
    if (failure !== undefined) this.#failProtocol(failure);
    if (this.#slots.length >= RESP_PIPELINE_MAX && !this.#paused) {
      this.#paused = true;
      this.conn.pause();
    }
    this.#pump();
  }

  #failProtocol(err: RespProtocolError): void {
    this.#protocolFailed = true;
    const line = `ERR Protocol error: ${err.message}`;
    this.#slots.push({
      kind: "local",
      start: () => (w) => {
        w.error(line);
        this.ctx.conn.quit = true;
      },
      started: false,
      done: false,
      reply: undefined,
    });
  }

  #slot(args: RespCommand): Slot {
    const slot = (kind: CommandKind, start: Start): Slot => ({
      kind,
      start,
      started: false,
      done: false,
      reply: undefined,
    });
    const refuse = (line: string) => slot("local", () => (w) => w.error(line));
    const name = fromUtf8(args[0]).toUpperCase();
    const own = RESP_COMMANDS.get(name);
    const data = own === undefined ? REDIS_COMMANDS.get(name.toLowerCase()) : undefined;
    this.#count(name, args, own !== undefined || data !== undefined);
    if (own === undefined && data === undefined) {
      return this.#failQueued(refuse(unknownCommand(args)));
    }
    const arity = own?.arity ?? data?.arity ?? 0;
    if (!arityOk(arity, args.length)) {
      if (name === "EXEC") return this.#abortExec(name, refuse);
      return this.#failQueued(refuse(wrongArity(name)));
    }
    if (this.ctx.conn.multi !== undefined && !MULTI_CONTROL.has(name)) {
      return this.#queue(args, refuse);
    }
    if (own !== undefined) {
      if ("parse" in own) {
        try {
          const refusal = subscribedRefusal(this.ctx, args);
          if (refusal !== undefined) return refuse(refusal);
          return slot(own.kind, own.parse(this.ctx, args));
        } catch (err) {
          return slot("local", () => errorReply(err));
        }
      }
      return slot(own.kind, unlessSubscribed(this.ctx, args, () => own.run(this.ctx, args)));
    }
    const kind = data?.kind === "write" ? "write" : "read";
    return slot(kind, unlessSubscribed(this.ctx, args, dataCommand(this.ctx, args, kind)));
  }

  /** A malformed EXEC ends any transaction, saying why (Redis 7, inside MULTI or not). */
  #abortExec(name: string, refuse: (line: string) => Slot): Slot {
    this.ctx.conn.multi = undefined;
    this.ctx.conn.watches.clear();
    const why = wrongArity(name).replace(/^ERR /, "");
    return refuse(`EXECABORT Transaction discarded because of: ${why}`);
  }

  /** Counts the command for INFO stats and CLIENT LIST (cmd, idle). */
  #count(name: string, args: RespCommand, known: boolean): void {
    const { conn, node } = this.ctx;
    node.stats.commandsProcessed++;
    conn.lastCommandMs = node.clock.nowMs();
    // Only known names: CLIENT LIST must not show what a client typed (spaces, newlines).
    if (!known) return;
    const sub = CONTAINERS.has(name) && args.length > 1 ? fromUtf8(args[1]).toLowerCase() : "";
    conn.lastCommand = /^[a-z-]{1,32}$/.test(sub)
      ? `${name.toLowerCase()}|${sub}`
      : name.toLowerCase();
  }

  /** Closes the connection now (CLIENT KILL from another connection, server close). */
  kill(): void {
    this.#close();
  }

  /** A command refused while queuing makes EXEC fail (Redis's EXECABORT). */
  #failQueued(s: Slot): Slot {
    if (this.ctx.conn.multi !== undefined) this.ctx.conn.multiFailed = true;
    return s;
  }

  #queue(args: RespCommand, refuse: (line: string) => Slot): Slot {
    const queue = this.ctx.conn.multi ?? [];
    const name = fromUtf8(args[0]).toLowerCase();
    if (REDIS_COMMANDS.get(name)?.run === undefined) {
      return this.#failQueued(refuse(`ERR '${name}' cannot run inside MULTI on TinyKV`));
    }
    if (queue.length >= REDIS_MULTI_COMMANDS_MAX) {
      return this.#failQueued(
        refuse(`ERR more than ${REDIS_MULTI_COMMANDS_MAX} commands in MULTI`),
      );
    }
    queue.push(args);
    return {
      kind: "local",
      start: () => (w) => writeReply(w, QUEUED),
      started: false,
      done: false,
      reply: undefined,
    };
  }

  /** Starts every slot that ordering allows, in order. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (slot.started) continue;
      // EXEC runs alone: what follows may depend on the database it leaves selected.
      if (this.#runningKind === "exclusive") break;
      const compatible = slot.kind === "local" || this.#running === 0 ||
        slot.kind === this.#runningKind;
      if (!compatible) break;
      slot.started = true;
      if (slot.kind !== "local") {
        this.#runningKind = slot.kind;
        this.#running++;
      }
      this.#run(slot);
    }
  }

  #run(slot: Slot): void {
    let result: Reply | Promise<Reply>;
    try {
      result = slot.start();
    } catch (err) {
      result = errorReply(err);
    }
    if (typeof result === "function") return this.#finish(slot, result);
    result.then((r) => this.#finish(slot, r), (err) => this.#finish(slot, errorReply(err)));
  }

  #finish(slot: Slot, reply: Reply): void {
    slot.done = true;
    slot.reply = reply;
    if (slot.kind !== "local" && --this.#running === 0) this.#runningKind = undefined;
    this.#flush();
    this.#pump();
  }

  /** Writes the replies of finished commands at the head of the pipeline. */
  #flush(): void {
    const w = this.ctx.writer;
    while (this.#slots.length > 0 && this.#slots[0].done && !this.#closed) {
      const slot = this.#slots.shift();
      if (slot?.silent !== true) slot?.reply?.(w);
      if (this.ctx.conn.quit) break;
    }
    if (w.length > 0 && !this.#closed) this.conn.write(w.take());
    if (this.ctx.conn.quit || this.conn.queuedBytes() > CONN_WRITE_QUEUE_BYTES_MAX) {
      this.#close();
    } else if (this.#paused && this.#slots.length < RESP_PIPELINE_MAX / 2) {
      this.#paused = false;
      this.conn.resume();
    }
  }

  /** A pub/sub message: written at once, between replies (it need not wait for commands). */
  push(write: Reply): void {
    if (this.#closed) return;
    const w = this.ctx.writer;
    write(w);
    this.conn.write(w.take());
    if (this.conn.queuedBytes() > CONN_WRITE_QUEUE_BYTES_MAX) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.length = 0;
    this.conn.close();
    this.onClose();
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.length = 0;
    this.onClose();
  }
}
