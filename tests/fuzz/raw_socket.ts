/**
 * A raw TCP connection for fuzzing a port: writes arbitrary bytes and collects
 * whatever comes back, waiting a bounded time for an answer or the close.
 */
import { getPlatform } from "../../src/platform/detect.ts";
import type { Conn } from "../../src/platform/types.ts";
import { concatBytes } from "../../src/util/bytes.ts";

export class RawSocket {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #closed = false;
  #waiter: (() => void) | undefined;

  private constructor(readonly conn: Conn) {
    conn.setHandlers({
      onData: (c) => {
        this.#chunks.push(c.slice());
        this.#bytes += c.length;
        this.#waiter?.();
      },
      onClose: () => {
        this.#closed = true;
        this.#waiter?.();
      },
    });
  }

  static async open(port: number): Promise<RawSocket> {
    return new RawSocket(await getPlatform().net.connect("127.0.0.1", port));
  }

  /** True once the other side closed (or the connection failed). */
  get closed(): boolean {
    return this.#closed;
  }

  get receivedBytes(): number {
    return this.#bytes;
  }

  received(): Uint8Array {
    return concatBytes(this.#chunks);
  }

  receivedText(): string {
    return new TextDecoder().decode(this.received());
  }

  write(bytes: Uint8Array): void {
    if (!this.#closed) this.conn.write(bytes);
  }

  /**
   * Writes `bytes` in pieces cut at `cuts` (ascending offsets), a moment apart,
   * so that the node's parser meets them as separate chunks.
   */
  async writePieces(bytes: Uint8Array, cuts: readonly number[]): Promise<void> {
    let from = 0;
    for (const at of [...cuts, bytes.length]) {
      if (at <= from) continue;
      this.write(bytes.subarray(from, at));
      from = at;
      if (at < bytes.length) await new Promise((r) => setTimeout(r, 1));
    }
  }

  /**
   * Waits until `done()` holds or the connection closes, for at most `ms`.
   * Resolves true when `done()` held or the connection closed in time.
   */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    if (done() || this.#closed) return true;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.#waiter = () => {
        if (!done() && !this.#closed) return;
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.#waiter = undefined;
    return ok;
  }

  /** Waits for any answer (bytes or the close) for at most `ms`. */
  answered(ms: number): Promise<boolean> {
    return this.until(() => this.#bytes > 0, ms);
  }

  close(): void {
    this.conn.close();
  }
}
