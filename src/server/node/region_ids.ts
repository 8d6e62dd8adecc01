/**
 * Region ids for splits, allocated without the placement service (which nodes do not run yet;
 * decision 0014 "Where it stands", interim). The leader that proposes a split names the child:
 * `nodeId × REGION_IDS_PER_NODE + n`, where n comes from a counter of its own, reserved durably
 * in blocks (the file `REGION-IDS` in the data directory holds the end of the reserved block,
 * written and fsynced before any id of the block is used). So ids are unique cluster-wide — no
 * two nodes share a block, and a node never hands out an id twice, even across a crash (it
 * skips the rest of a block) — and every replica agrees on them because the id travels in the
 * split's log entry.
 *
 * A wiped node lost the file, so its counter starts again: it also skips every id of its block
 * that a region it holds carries (the replicated descriptors), and splits nothing until it holds
 * regions covering the whole keyspace — while every node holds every region (no placement yet),
 * that is every region of the cluster, so every id it used before the wipe.
 */
import { REGION_ID_RESERVE, REGION_IDS_PER_NODE } from "../../limits_ops.ts";
import type { FileSystem } from "../../platform/types.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";

export class RegionIdAllocator {
  #next = 0;
  #reservedEnd = 0;

  constructor(readonly fs: FileSystem, readonly dataDir: string, readonly nodeId: number) {}

  get #path(): string {
    return `${this.dataDir}/REGION-IDS`;
  }

  /**
   * The next region id; undefined when this node's id leaves no safe integer ids. `known` are
   * the ids of the regions the node holds: none of this node's block at or below them is used
   * again, though a wiped data directory lost the `REGION-IDS` file (the caller makes sure the
   * node holds every region first: region_split_check.ts).
   */
  async next(known: readonly number[] = []): Promise<number | undefined> {
    const base = this.nodeId * REGION_IDS_PER_NODE;
    if (!Number.isSafeInteger(base + REGION_IDS_PER_NODE)) return undefined;
    if (this.#next === 0) this.#next = this.#reservedEnd = this.#readReserved() + 1;
    for (const id of known) {
      const n = id - base;
      if (n >= this.#next && n < REGION_IDS_PER_NODE) this.#next = n + 1;
    }
    if (this.#next >= this.#reservedEnd) {
      const end = this.#next + REGION_ID_RESERVE;
      if (end >= REGION_IDS_PER_NODE) return undefined;
      await this.#writeReserved(end - 1);
      this.#reservedEnd = end;
    }
    return base + this.#next++;
  }

  #readReserved(): number {
    if (this.fs.stat(this.#path) === undefined) return 0;
    const n = Number(fromUtf8(this.fs.readFile(this.#path)).trim());
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${this.#path} is not a count`);
    return n;
  }

  async #writeReserved(last: number): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    const f = this.fs.open(tmp, { create: true, truncate: true });
    f.append(utf8(`${last}\n`));
    await f.sync();
    f.close();
    this.fs.rename(tmp, this.#path);
    await this.fs.syncDir(this.dataDir);
  }
}
