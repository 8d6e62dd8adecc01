/**
 * A small RESP client for tests: sends commands as arrays of bulk strings and hands back each
 * reply's exact bytes with its parsed tree. Raw sockets are fine in tests/ (src/ reaches the
 * network only through src/platform).
 */
import * as net from "node:net";
import { fromLatin1, latin1, parseReply, type Reply } from "./resp_reply.ts";

/** One reply as the server sent it. */
export interface RawReply {
  /** The reply's bytes, latin1 (one char per byte). */
  readonly raw: string;
  readonly reply: Reply;
}

/** The bytes of a command as clients send it: `*N` then N bulk strings. */
export function encodeCommand(args: readonly string[]): Uint8Array {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${fromLatin1(a).length}\r\n${a}\r\n`;
  return fromLatin1(s);
}

export class RespConn {
  #buf = new Uint8Array(0);
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (d: Uint8Array) => {
      const merged = new Uint8Array(this.#buf.length + d.length);
      merged.set(this.#buf);
      merged.set(d, this.#buf.length);
      this.#buf = merged;
      this.#wake?.();
    });
    const closed = () => {
      this.#closed = true;
      this.#wake?.();
    };
    socket.on("close", closed);
    socket.on("error", closed);
  }

  static connect(port: number, host = "127.0.0.1", timeoutMs = 5000): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RespConn(socket));
      });
    });
  }

  send(args: readonly string[]): void {
    if (!this.#closed) this.socket.write(encodeCommand(args));
  }

  /** Sends bytes as they are (latin1): inline commands, malformed requests. */
  sendRaw(bytes: string): void {
    if (!this.#closed) this.socket.write(fromLatin1(bytes));
  }

  /** The next reply, or an Error saying the connection closed or nothing came in `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<RawReply | Error> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseReply(this.#buf);
      if (parsed !== undefined) {
        const raw = latin1(this.#buf, 0, parsed.end);
        this.#buf = this.#buf.slice(parsed.end);
        return { raw, reply: parsed.reply };
      }
      if (this.#closed) return new Error("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) return new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Sends one command and returns its reply. */
  async call(args: readonly string[], timeoutMs = 5000): Promise<RawReply | Error> {
    this.send(args);
    return await this.next(timeoutMs);
  }

  close(): void {
    this.#closed = true;
    this.socket.destroy();
  }
}
