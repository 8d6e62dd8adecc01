/**
 * What an apply pass announces (watch events, Redis messages): held while the
 * pass's batch is unwritten, so nothing is announced that a crash could undo,
 * then handed out in log order.
 */
export class EventQueue<T> {
  readonly #pending: T[] = [];
  #ready: T[] = [];

  add(items: readonly T[]): void {
    for (const item of items) this.#pending.push(item);
  }

  /** The pass's batch is durable: its events may go out. */
  publish(): void {
    for (const item of this.#pending) this.#ready.push(item);
    this.#pending.length = 0;
  }

  drain(): T[] {
    const ready = this.#ready;
    this.#ready = [];
    return ready;
  }
}
