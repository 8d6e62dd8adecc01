/**
 * Runs at most AUTH_VERIFY_CONCURRENCY password checks at once, queues up to
 * AUTH_VERIFY_QUEUE_MAX more, and answers "busy" past that: PBKDF2 is made to be slow, so
 * unbounded checks would let anyone who can reach a port occupy the node's cores.
 */
import { AUTH_VERIFY_CONCURRENCY, AUTH_VERIFY_QUEUE_MAX } from "../limits_ops.ts";

export class VerifyGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  async run<T>(check: () => Promise<T>): Promise<T | "busy"> {
    if (this.#running >= AUTH_VERIFY_CONCURRENCY) {
      if (this.#waiting.length >= AUTH_VERIFY_QUEUE_MAX) return "busy";
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await check();
    } finally {
      const next = this.#waiting.shift();
      // A waiter inherits this slot, so `running` stays the number of checks under way.
      if (next !== undefined) next();
      else this.#running--;
    }
  }
}
