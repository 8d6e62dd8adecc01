/**
 * The parts of a `Conn` shared by the socket adapters: handler registration,
 * chunks that arrive before handlers are set, and close notification exactly once.
 */
import type { ConnHandlers } from "./types.ts";

export class ConnEvents {
  #handlers: ConnHandlers | null = null;
  #early: Uint8Array[] = [];
  #closed = false;
  #closeError: Error | undefined;

  set(handlers: ConnHandlers): void {
    this.#handlers = handlers;
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) handlers.onData(chunk);
    if (this.#closed) handlers.onClose?.(this.#closeError);
  }

  data(chunk: Uint8Array): void {
    if (this.#handlers) this.#handlers.onData(chunk);
    else this.#early.push(chunk.slice());
  }

  drain(): void {
    this.#handlers?.onDrain?.();
  }

  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#handlers?.onClose?.(error);
  }

  get closed(): boolean {
    return this.#closed;
  }
}
