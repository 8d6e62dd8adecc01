/**
 * The applied, uncompacted entry bytes of every region of a node, summed (compaction.ts). A region
 * compacts its log past `everyBytes` of its own, and its entries stay in memory until then; a node
 * split into many regions could hold that much per region, in memory and to replay at a restart
 * (the growth run with splitting on, session 28). Past the same bound for the node as a whole, the
 * regions holding the most compact too, so a node holds about what one region would.
 */
export class UncompactedBytes {
  /** Each region's count as last noted. */
  readonly #noted = new Map<number, number>();
  #total = 0;

  constructor(readonly bound: number) {}

  /** The node's total as noted. */
  get total(): number {
    return this.#total;
  }

  /** Notes region `id`'s count now; whether the node's total has reached the bound. */
  note(id: number, bytes: number): boolean {
    this.#total += bytes - (this.#noted.get(id) ?? 0);
    this.#noted.set(id, bytes);
    return this.#total >= this.bound;
  }

  /** A region gone from the node. */
  forget(id: number): void {
    this.note(id, 0);
    this.#noted.delete(id);
  }

  /** The regions to compact, most bytes first, until the rest holds at most half the bound. */
  biggest(): number[] {
    const held = [...this.#noted].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
    const out: number[] = [];
    let left = this.#total;
    for (const [id, bytes] of held) {
      if (left <= this.bound / 2) break;
      out.push(id);
      left -= bytes;
    }
    return out;
  }
}
