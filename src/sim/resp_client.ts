/**
 * A small Redis-protocol client for the simulation's RESP clients: it encodes
 * commands as arrays of bulk strings and parses RESP2 replies, in order, on
 * one connection. It is deliberately independent of the server's RESP code
 * (src/server/resp/) so that the two can disagree: a reply the server encodes
 * wrongly fails here instead of being read back by the same mistake.
 */
import type { Clock, Conn, Net, TimerId } from "../platform/types.ts";
import { concatBytes, fromUtf8, utf8 } from "../util/bytes.ts";
import { splitHostPort } from "../util/host_port.ts";

/** A parsed reply: null is the nil bulk string or nil array. */
export type RespReply = string | number | RespErrorReply | null | RespReply[];

/** An error reply (`-TRYAGAIN …`): the first word says whether the command may have applied. */
export class RespErrorReply {
  constructor(readonly message: string) {}
  get code(): string {
    return this.message.split(" ")[0];
  }
}

/** The connection failed or the reply did not come in time: a write's outcome is unknown. */
export class RespConnectionError extends Error {
  override name = "RespConnectionError";
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Uint8Array {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${utf8(a).length}\r\n${a}\r\n`);
  return utf8(parts.join(""));
}

/** Parses one reply at `pos`; undefined when the bytes end before it does. */
export function parseReply(
  buf: Uint8Array,
  pos: number,
): { reply: RespReply; next: number } | undefined {
  const eol = indexOfCrlf(buf, pos);
  if (eol < 0) return undefined;
  const line = fromUtf8(buf.subarray(pos + 1, eol));
  const after = eol + 2;
  switch (buf[pos]) {
    case 0x2b: // +
      return { reply: line, next: after };
    case 0x2d: // -
      return { reply: new RespErrorReply(line), next: after };
    case 0x3a: // :
      return { reply: Number(line), next: after };
    case 0x24: { // $
      const n = Number(line);
      if (n < 0) return { reply: null, next: after };
      if (buf.length < after + n + 2) return undefined;
      return { reply: fromUtf8(buf.subarray(after, after + n)), next: after + n + 2 };
    }
    case 0x2a: { // *
      const n = Number(line);
      if (n < 0) return { reply: null, next: after };
      const items: RespReply[] = [];
      let at = after;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, at);
        if (item === undefined) return undefined;
        items.push(item.reply);
        at = item.next;
      }
      return { reply: items, next: at };
    }
    default:
      throw new RespConnectionError(`not a RESP reply: byte ${buf[pos]}`);
  }
}

function indexOfCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) return i;
  }
  return -1;
}

interface Waiter {
  resolve(reply: RespReply): void;
  reject(err: Error): void;
}

/** One pipelined RESP connection; replies come back in command order. */
export class RespClient {
  readonly #waiters: Waiter[] = [];
  #buffer: Uint8Array = new Uint8Array(0);
  #closed: Error | undefined;
  #timer: TimerId | undefined;
  /** Replies received so far: the timer fails the connection only if none came. */
  #replies = 0;

  private constructor(readonly conn: Conn, readonly clock: Clock, readonly timeoutMs: number) {
    conn.setHandlers({
      onData: (chunk) => this.#onData(chunk),
      onClose: (err) => this.#fail(new RespConnectionError(`closed: ${err?.message ?? "eof"}`)),
    });
  }

  static async connect(
    net: Net,
    address: string,
    clock: Clock,
    timeoutMs: number,
  ): Promise<RespClient> {
    const { host, port } = splitHostPort(address);
    try {
      return new RespClient(await net.connect(host, port), clock, timeoutMs);
    } catch (err) {
      throw new RespConnectionError(`connect ${address}: ${String(err)}`);
    }
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Sends one command; rejects with RespConnectionError if no reply comes in time. */
  call(args: readonly string[]): Promise<RespReply> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.conn.write(encodeCommand(args));
      if (this.#timer === undefined) this.#arm();
    });
  }

  close(): void {
    this.#fail(new RespConnectionError("closed by the client"));
    this.conn.close();
  }

  /**
   * One timer for the whole connection: replies come in order, so a connection
   * that answered nothing for `timeoutMs` while commands wait has failed.
   */
  #arm(): void {
    const repliesBefore = this.#replies;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#waiters.length === 0) return;
      if (this.#replies === repliesBefore) {
        this.#fail(new RespConnectionError(`no reply in ${this.timeoutMs} ms`));
        this.conn.close();
        return;
      }
      this.#arm();
    }, this.timeoutMs);
  }

  #onData(chunk: Uint8Array): void {
    this.#buffer = concatBytes([this.#buffer, chunk]);
    let pos = 0;
    for (;;) {
      if (pos >= this.#buffer.length) break;
      let parsed;
      try {
        parsed = parseReply(this.#buffer, pos);
      } catch (err) {
        this.#fail(err instanceof Error ? err : new RespConnectionError(String(err)));
        this.conn.close();
        return;
      }
      if (parsed === undefined) break;
      pos = parsed.next;
      this.#replies++;
      this.#waiters.shift()?.resolve(parsed.reply);
    }
    this.#buffer = this.#buffer.slice(pos);
  }

  #fail(err: Error): void {
    if (this.#closed === undefined) this.#closed = err;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }
}
