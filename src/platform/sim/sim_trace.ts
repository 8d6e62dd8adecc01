/**
 * An append-only log of simulator events. Two runs with the same seed and
 * options must produce byte-identical traces; tests compare them, and a
 * failing run can print its tail.
 */
export class SimTrace {
  readonly #lines: string[] = [];
  #enabled: boolean;
  readonly #limit: number;

  constructor(options: { enabled?: boolean; lineLimit?: number } = {}) {
    this.#enabled = options.enabled ?? true;
    this.#limit = options.lineLimit ?? 1_000_000;
  }

  record(timeMs: number, event: string): void {
    if (!this.#enabled) return;
    if (this.#lines.length >= this.#limit) this.#lines.splice(0, this.#lines.length >> 1);
    this.#lines.push(`${timeMs} ${event}`);
  }

  lines(): readonly string[] {
    return this.#lines;
  }

  text(): string {
    return this.#lines.join("\n");
  }

  tail(n: number): string {
    return this.#lines.slice(-n).join("\n");
  }
}
