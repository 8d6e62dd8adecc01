/**
 * A RespServer over LocalKvService for the port's tests, and a raw RESP
 * connection that sends commands and reads whole replies back.
 */
import { RespServer, type RespServerOptions } from "../../../src/server/resp/resp_server.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import type { KvService } from "../../../src/server/kv_service.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { LocalKvService } from "../local_kv_service.ts";

export const platform = getPlatform();

export async function startServer(
  options: Partial<RespServerOptions> & { wrap?: (s: LocalKvService) => KvService } = {},
) {
  const local = await LocalKvService.open();
  const server = await RespServer.start({
    net: platform.net,
    clock: platform.clock,
    hostname: "127.0.0.1",
    port: 0,
    ...options,
    service: options.wrap === undefined ? local : options.wrap(local),
  });
  return { server, local };
}

export function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`;
}

/** Length of the first complete RESP reply in `t`, or -1 if it is not all there yet. */
export function replyLength(t: string, at = 0): number {
  const eol = t.indexOf("\r\n", at);
  if (eol < 0) return -1;
  const type = t[at];
  const n = Number(t.slice(at + 1, eol));
  if (type === "$" || type === "=") {
    if (n < 0) return eol + 2 - at;
    const end = eol + 2 + n + 2;
    return utf8(t).length >= end ? end - at : -1;
  }
  if (type === "*" || type === "%" || type === "~" || type === ">") {
    let pos = eol + 2;
    for (let i = 0; i < (n < 0 ? 0 : type === "%" ? 2 * n : n); i++) {
      const len = replyLength(t, pos);
      if (len < 0) return -1;
      pos += len;
    }
    return pos - at;
  }
  return eol + 2 - at;
}

/** One connection: `send` writes commands and resolves with their `count` replies, raw. */
export class RawClient {
  #buffer = "";
  #waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly conn: Conn) {
    conn.setHandlers({
      onData: (c) => {
        this.#buffer += fromUtf8(c);
        this.#waiter?.();
      },
      onClose: () => {
        this.closed = true;
        this.#waiter?.();
      },
    });
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await platform.net.connect("127.0.0.1", port));
  }

  /** Sends the commands and waits for one reply each (or the connection closing). */
  async send(...commands: string[][]): Promise<string[]> {
    this.conn.write(utf8(commands.map((c) => cmd(...c)).join("")));
    const replies: string[] = [];
    while (replies.length < commands.length) {
      const len = replyLength(this.#buffer);
      if (len > 0) {
        replies.push(this.#buffer.slice(0, len));
        this.#buffer = this.#buffer.slice(len);
        continue;
      }
      if (this.closed) break;
      await new Promise<void>((resolve) => this.#waiter = resolve);
      this.#waiter = undefined;
    }
    return replies;
  }

  /** One command's reply. */
  async one(...args: string[]): Promise<string> {
    return (await this.send(args))[0] ?? "";
  }

  close(): void {
    this.conn.close();
  }
}

export const bulk = (s: string) => `$${utf8(s).length}\r\n${s}\r\n`;
export const err = (s: string) => `-${s}\r\n`;
