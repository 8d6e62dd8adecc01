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
import { CONN_WRITE_QUEUE_BYTES_MAX, RESP_PIPELINE_MAX } from "../../limits.ts";
import type { Conn } from "../../platform/types.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import {
  arityOk,
  type CommandKind,
  type Reply,
  RespCommandError,
  type RespContext,
} from "./resp_command.ts";
import { RESP_COMMANDS } from "./resp_commands.ts";
import { respErrorFor } from "./resp_errors.ts";
import { type RespCommand, RespParser, RespProtocolError } from "./resp_parser.ts";

interface Slot {
  readonly kind: CommandKind;
  readonly start: () => Reply | Promise<Reply>;
  started: boolean;
  done: boolean;
  reply: Reply | undefined;
}

function errorReply(err: unknown): Reply {
  if (err instanceof RespCommandError) {
    const m = err.message;
    return (w) => w.error(m.startsWith("NOPROTO") ? m : `ERR ${m}`);
  }
  const message = respErrorFor(err);
  return (w) => w.error(message);
}

export class RespSession {
  readonly #parser = new RespParser();
  readonly #slots: Slot[] = [];
  #runningKind: CommandKind | undefined;
  #running = 0;
  #paused = false;
  #closed = false;

  constructor(readonly conn: Conn, readonly ctx: RespContext, readonly onClose: () => void) {
    conn.setHandlers({
      onData: (chunk) => this.#onData(chunk),
      onClose: () => this.#shutdown(),
    });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    let commands: RespCommand[];
    try {
      commands = this.#parser.push(chunk);
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      this.ctx.writer.error(`ERR Protocol error: ${err.message}`);
      this.conn.write(this.ctx.writer.take());
      this.#close();
      return;
    }
    for (const args of commands) this.#slots.push(this.#slot(args));
    if (this.#slots.length >= RESP_PIPELINE_MAX && !this.#paused) {
      this.#paused = true;
      this.conn.pause();
    }
    this.#pump();
  }

  #slot(args: RespCommand): Slot {
    const name = fromUtf8(args[0]).toUpperCase();
    const spec = RESP_COMMANDS.get(name);
    const slot = (kind: CommandKind, start: () => Reply | Promise<Reply>): Slot => ({
      kind,
      start,
      started: false,
      done: false,
      reply: undefined,
    });
    if (spec === undefined) {
      const shown = args.slice(1, 4).map((a) => `'${fromUtf8(a).slice(0, 64)}'`).join(" ");
      const message = `ERR unknown command '${fromUtf8(args[0]).slice(0, 64)}', with args ` +
        `beginning with: ${shown}`;
      return slot("local", () => (w) => w.error(message));
    }
    if (!arityOk(spec.arity, args.length)) {
      const message = `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
      return slot("local", () => (w) => w.error(message));
    }
    return slot(spec.kind, () => spec.run(this.ctx, args));
  }

  /** Starts every slot that ordering allows, in order. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (slot.started) continue;
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
      slot?.reply?.(w);
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
