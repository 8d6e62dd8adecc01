/** A raw RESP connection for tests: send commands, wait for an exact amount of reply text. */
import type { Conn } from "../../../src/platform/types.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

export function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`;
}

export class RawConn {
  #text = "";
  #closed = false;
  #waiter: (() => void) | undefined;

  private constructor(readonly conn: Conn) {
    conn.setHandlers({
      onData: (c) => {
        this.#text += fromUtf8(c);
        this.#waiter?.();
      },
      onClose: () => {
        this.#closed = true;
        this.#waiter?.();
      },
    });
  }

  static async open(port: number): Promise<RawConn> {
    return new RawConn(await getPlatform().net.connect("127.0.0.1", port));
  }

  send(...commands: string[]): this {
    this.conn.write(utf8(commands.join("")));
    return this;
  }

  /**
   * Waits until `chars` characters of reply text have arrived (or the socket
   * closed, or 10 s passed, so a missing reply fails the test instead of hanging
   * it) and returns them, leaving anything after for the next read.
   */
  async read(chars: number): Promise<string> {
    await this.#until(() => this.#text.length >= chars);
    const out = this.#text.slice(0, chars);
    this.#text = this.#text.slice(chars);
    return out;
  }

  /** Reads through the first occurrence of `end`. */
  async readThrough(end: string): Promise<string> {
    await this.#until(() => this.#text.includes(end));
    return await this.read(this.#text.indexOf(end) + end.length);
  }

  /** Whatever has arrived and not been read. */
  get unread(): string {
    return this.#text;
  }

  async #until(done: () => boolean): Promise<void> {
    if (done() || this.#closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, 10_000);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiter = () => {
        if (done() || this.#closed) finish();
      };
    });
    this.#waiter = undefined;
  }

  close(): void {
    this.conn.close();
  }
}
