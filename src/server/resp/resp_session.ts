/**
 * One RESP connection: parses pipelined commands, runs them with as much overlap as ordering
 * allows, and writes replies strictly in command order, one socket write per turn.
 *
 * Ordering: consecutive reads run together, and consecutive writes run together (they enter the
 * Raft log in the order they were proposed), but a read never starts before an earlier write of
 * the connection has finished, nor a write before an earlier read — so each connection observes
 * its own commands in order, as with Redis.
 */
import { CONN_WRITE_QUEUE_BYTES_MAX, RESP_PIPELINE_MAX } from "../../limits.ts";
import type { Conn } from "../../platform/types.ts";
import { lowerName, upperName } from "../../kv/redis/command_name.ts";
import { arityOk } from "../../kv/redis/command.ts";
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { unknownCommand, wrongArity } from "../../kv/redis/errors.ts";
import type { CommandKind, Reply, RespContext, Slot } from "./resp_command.ts";
import { newSlot } from "./resp_command.ts";
import { RESP_COMMANDS } from "./resp_commands.ts";
import { accessRefusal } from "./resp_auth.ts";
import { countCommand, dataSlot, errorReply, protocolFailure, refuse } from "./resp_dispatch.ts";
import { looksLikeHttp } from "./resp_http_guard.ts";
import { type RespCommand, RespParser, RespProtocolError } from "./resp_parser.ts";
import { isPlainGet } from "./resp_get_name.ts";
import { takeGetRun } from "./resp_get_run.ts";
import { subscribedRefusal, unlessSubscribed } from "./resp_pubsub.ts";
import { ReplyMode } from "./resp_reply_mode.ts";
import { abortExec, failQueued, queueInMulti } from "./resp_multi_queue.ts";

/** Commands that act on the transaction itself rather than being queued by it. */
const MULTI_CONTROL = new Set(["EXEC", "DISCARD", "MULTI", "WATCH", "QUIT", "RESET"]);

export class RespSession {
  readonly #parser = new RespParser();
  readonly #slots: Slot[] = [];
  /** How many slots at the front of #slots have started; #pump, re-entered from #run, waits. */
  #started = 0;
  /** Commands in #slots beyond one per slot (a run of GETs answers many in one slot). */
  #held = 0;
  #pumping = false;
  /** Parsed commands not yet slotted (from #next on): they wait behind a password check. */
  #waiting: RespCommand[] = [];
  #next = 0;
  #commandsSeen = 0;
  readonly #replyMode = new ReplyMode();
  #runningKind: CommandKind | undefined;
  #running = 0;
  #paused = false;
  #closed = false;
  #flushQueued = false; // replies finished in one turn go out in one write
  /** Inside this connection's data callback (replies made here wait for the turn's I/O). */
  #reading = false;
  /** Bad input arrived: nothing after it is read; the connection closes after its error. */
  #protocolFailed = false;
  /** That bad input's error, answered once the commands before it are slotted. */
  #failure: RespProtocolError | undefined;

  constructor(readonly conn: Conn, readonly ctx: RespContext, readonly onClose: () => void) {
    conn.setHandlers({
      onData: (chunk) => this.#onData(chunk),
      onClose: () => this.#shutdown(),
    });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed || this.#protocolFailed) return;
    let commands: RespCommand[];
    try {
      commands = this.#parser.push(chunk);
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      commands = err.completed;
      this.#protocolFailed = true;
      this.#failure = err;
    }
    if (this.#next === this.#waiting.length) {
      this.#waiting = commands;
      this.#next = 0;
    } else {
      this.#waiting.push(...commands);
    }
    this.#reading = true;
    try {
      this.#admit();
    } finally {
      this.#reading = false;
    }
  }

  /** Turns waiting commands into slots, in order, until one must be decided first. */
  #admit(): void {
    while (this.#next < this.#waiting.length && this.ctx.conn.authenticating === undefined) {
      const run = isPlainGet(this.#waiting[this.#next]) && this.#replyMode.on
        ? takeGetRun(this.ctx, this.#waiting, this.#next)
        : undefined;
      if (run !== undefined) {
        this.#slots.push(run);
        this.#held += run.commands - 1;
        this.#next += run.commands, this.#commandsSeen += run.commands;
        continue;
      }
      const args = this.#waiting[this.#next++];
      if (looksLikeHttp(args, this.#commandsSeen++ === 0)) {
        this.ctx.node.httpWarning?.warn(this.ctx.conn.addr);
        return this.#close();
      }
      const loggedIn = this.ctx.conn.user !== undefined;
      this.#slots.push(this.#replyMode.slot(args, this.#makeSlot, loggedIn));
      // Set by AUTH or HELLO AUTH while it was slotted just now.
      const pending = this.ctx.conn.authenticating as Promise<void> | undefined;
      if (pending !== undefined) {
        pending.then(() => {
          this.ctx.conn.authenticating = undefined;
          if (!this.#closed) this.#admit();
        });
      }
    }
    // As Redis: the commands before bad input run and are answered, then the error, then the close.
    if (this.#failure !== undefined && this.#next === this.#waiting.length) {
      this.#slots.push(protocolFailure(this.ctx, this.#failure));
      this.#failure = undefined;
    }
    if (this.#heldCount() >= RESP_PIPELINE_MAX && !this.#paused) {
      this.#paused = true;
      this.conn.pause();
    }
    this.#pump();
  }

  /** Commands parsed and not yet answered. */
  #heldCount(): number {
    return this.#slots.length + this.#held + this.#waiting.length - this.#next;
  }

  readonly #makeSlot = (args: RespCommand): Slot => this.#slot(args);

  #slot(args: RespCommand): Slot {
    const name = upperName(args[0]);
    const own = RESP_COMMANDS.get(name);
    const data = own === undefined ? REDIS_COMMANDS.get(lowerName(args[0])) : undefined;
    countCommand(this.ctx, name, args, own !== undefined || data !== undefined);
    if (own === undefined && data === undefined) {
      return failQueued(this.ctx, refuse(unknownCommand(args)));
    }
    const arity = own?.arity ?? data?.arity ?? 0;
    if (!arityOk(arity, args.length)) {
      if (name === "EXEC") return abortExec(this.ctx, wrongArity(name));
      return failQueued(this.ctx, refuse(wrongArity(name)));
    }
    const refusal = accessRefusal(this.ctx, name, args);
    if (refusal !== undefined) {
      if (name === "EXEC") return abortExec(this.ctx, refusal);
      return failQueued(this.ctx, refuse(refusal));
    }
    if (this.ctx.conn.multi !== undefined && !MULTI_CONTROL.has(name)) {
      return queueInMulti(this.ctx, args);
    }
    if (own !== undefined) {
      if ("parse" in own) {
        try {
          const refusal = subscribedRefusal(this.ctx, args);
          if (refusal !== undefined) return refuse(refusal);
          return newSlot(own.kind, own.parse(this.ctx, args));
        } catch (err) {
          return newSlot("local", () => errorReply(err));
        }
      }
      return newSlot(own.kind, unlessSubscribed(this.ctx, args, () => own.run(this.ctx, args)));
    }
    return dataSlot(this.ctx, args, data?.kind === "write" ? "write" : "read");
  }

  /** Closes the connection now (CLIENT KILL from another connection, server close). */
  kill(): void {
    this.#flush(); // the replies rendered so far go out first (or quit closes it)
    this.#close();
  }

  /** Starts every slot that ordering allows, in order. */
  #pump(): void {
    if (this.#pumping) return; // a slot finished at once, inside #run: this loop goes on
    this.#pumping = true;
    try {
      for (let slot; (slot = this.#slots[this.#started]) !== undefined;) {
        if (!this.#start(slot)) break;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Starts `slot` if ordering allows it now. */
  #start(slot: Slot): boolean {
    // EXEC runs alone: what follows may depend on the database it leaves selected.
    if (this.#runningKind === "exclusive") return false;
    const compatible = slot.kind === "local" || this.#running === 0 ||
      slot.kind === this.#runningKind;
    if (!compatible) return false;
    slot.started = true;
    this.#started++;
    if (slot.kind !== "local") {
      this.#runningKind = slot.kind;
      this.#running++;
    }
    this.#run(slot);
    return true;
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
    // Render head replies now (one may read state a later command changes); write once per turn.
    const w = this.ctx.writer;
    while (this.#slots[0]?.done === true && !this.#closed) {
      const done = this.#slots.shift();
      this.#started--;
      this.#held -= (done?.commands ?? 1) - 1;
      if (done?.silent !== true) done?.reply?.(w);
      if (this.ctx.conn.quit) return this.#flush(); // what it said goes out, then the close
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // Replies answered while reading (GETs) wait until every ready socket is read, as Redis
      // writes in beforeSleep (under Bun a microtask follows each socket's callback); those
      // of an apply pass are together when its microtasks run.
      const afterIo = this.#reading ? this.ctx.node.afterIo : undefined;
      (afterIo ?? queueMicrotask)(() => this.#flush());
    }
    this.#pump();
  }

  #flush(): void {
    this.#flushQueued = false;
    const w = this.ctx.writer;
    if (w.length > 0 && !this.#closed) { for (const p of w.takeParts()) this.conn.write(p); }
    if (this.ctx.conn.quit || this.conn.queuedBytes() > CONN_WRITE_QUEUE_BYTES_MAX) {
      this.#close();
    } else if (this.#paused && this.#heldCount() < RESP_PIPELINE_MAX / 2) {
      this.#paused = false;
      this.conn.resume();
    }
  }

  /** A pub/sub message: written at once, between replies (it need not wait for commands). */
  push(write: Reply): void {
    if (this.#closed) return;
    const w = this.ctx.writer; // after the replies rendered before it
    write(w);
    this.conn.write(w.take());
    if (this.conn.queuedBytes() > CONN_WRITE_QUEUE_BYTES_MAX) this.#close();
  }

  #close(): void {
    if (!this.#closed) this.conn.close();
    this.#shutdown();
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.length = this.#started = this.#held = 0;
    this.#waiting = [];
    this.#next = 0;
    this.onClose();
  }
}
