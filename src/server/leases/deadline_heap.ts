/**
 * A min-heap of lease deadlines, the entry due first on top. A keep-alive
 * pushes a new entry rather than moving the old one: the keeper checks each
 * popped entry against its table and drops the stale ones (lazy deletion),
 * and rebuilds the heap when stale entries outnumber live ones.
 */
export interface DeadlineEntry {
  /** When the keeper looks at it: the deadline, or a later retry time. */
  readonly dueMs: number;
  readonly id: number;
  /** The lease's deadline when the entry was pushed (stale when the table has another). */
  readonly deadlineMs: number;
}

export class DeadlineHeap {
  #items: DeadlineEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): DeadlineEntry | undefined {
    return this.#items[0];
  }

  push(entry: DeadlineEntry): void {
    const a = this.#items;
    a.push(entry);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent].dueMs <= a[i].dueMs) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): DeadlineEntry | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < a.length && a[l].dueMs < a[min].dueMs) min = l;
      if (r < a.length && a[r].dueMs < a[min].dueMs) min = r;
      if (min === i) break;
      [a[min], a[i]] = [a[i], a[min]];
      i = min;
    }
    return top;
  }

  /** Replaces the contents with exactly `entries` (one per live lease). */
  rebuild(entries: Iterable<DeadlineEntry>): void {
    this.#items = [];
    for (const e of entries) this.push(e);
  }

  clear(): void {
    this.#items = [];
  }
}
