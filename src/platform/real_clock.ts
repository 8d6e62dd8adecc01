/** Clock over the runtime's monotonic timer and event-loop timers (Deno and Bun alike). */
import type { Clock, TimerId } from "./types.ts";

export class RealClock implements Clock {
  readonly #timers = new Map<TimerId, ReturnType<typeof setTimeout>>();
  #nextId = 1;

  nowMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(
      id,
      setTimeout(() => {
        this.#timers.delete(id);
        fn();
      }, ms),
    );
    return id;
  }

  clearTimeout(id: TimerId): void {
    const handle = this.#timers.get(id);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.#timers.delete(id);
    }
  }
}

/** A seed for production PRNGs from the runtime's CSPRNG. */
export function cryptoSeed(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0] & 0x1f_ffff) * 0x1_0000_0000 + words[1];
}
