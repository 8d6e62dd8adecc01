/**
 * The split check (decision 0014 §8, docs/regions.md "The node holding many regions"): every
 * REGION_SPLIT_CHECK_MS the node looks at the regions it leads (at most
 * REGION_SPLIT_CHECK_REGIONS_MAX per check, continuing round-robin) and proposes a `Split` for
 * each one larger than `--region-split-bytes` (0: never), or written more often than
 * `--region-split-load` times a second (0: never) — then at the key that halves its writes
 * (region_load.ts), none when they cannot be halved.
 *
 * A region's size is an estimate that reads no data block: the engine's table bytes of its
 * current records (`Db.approximateSize`) plus the entry bytes it applied since the engine's
 * last flush (the memtable is not in the estimate). The split key is the engine's middle key
 * of those records (`Db.splitKeys`); when the tables cannot cut the range (the data still in
 * the memtable) it is the middle of the region's first REGION_SPLIT_SCAN_KEYS_MAX keys. The
 * child's id comes from the placement service's counter (`allocate-ids`). A split proposed and
 * not applied (lost leadership, a refused epoch) is proposed again after
 * REGION_SPLIT_RETRY_CHECKS checks.
 */
import { encodeRegionCommand } from "../../kv/region_command.ts";
import { DATA_PREFIX, dataKey } from "../../kv/keyspace.ts";
import { firstKeyAfter, lastLeasedKey } from "../../kv/region_leased_keys.ts";
import {
  REGION_SPLIT_CHECK_MS,
  REGION_SPLIT_CHECK_REGIONS_MAX,
  REGION_SPLIT_RETRY_CHECKS,
  REGION_SPLIT_SCAN_KEYS_MAX,
} from "../../limits_ops.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { Db } from "../../storage/db.ts";
import { errorMessage } from "../../util/errors.ts";
import { confStateReplicas } from "./region_members.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import type { RegionLoad } from "./region_load.ts";

/** Where a split's child gets its id: undefined when none can be had now (tried again later). */
export interface RegionIdSource {
  next(known: readonly number[]): Promise<number | undefined>;
}

export interface SplitCheckDeps {
  readonly host: RegionHost;
  readonly db: () => Db;
  readonly ids: RegionIdSource;
  /** The node's regions cover the whole keyspace, none waiting for an image or being added. */
  readonly holdsEveryRegion: () => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Bytes past which a region splits; 0: never. */
  readonly splitBytes: number;
  /** Writes a second past which a region splits by load (0 or absent: never), as `load` counts. */
  readonly splitLoad?: number;
  readonly load?: RegionLoad;
  readonly intervalMs?: number;
}

const DATA_END = new Uint8Array([DATA_PREFIX[0] + 1]);

export class SplitCheck {
  #timer: TimerId | undefined;
  #cursor = 0;
  #checks = 0;
  /** Regions with a split proposed: the check count and the epoch version it was proposed at. */
  readonly #proposed = new Map<number, { check: number; version: number }>();
  /**
   * Each region's applied bytes when the engine last flushed (its memtable share since); none
   * before the first flush this check saw: what applied since the region was opened (a restart's
   * replay included) is in the memtable then. The first check used to take its own moment as the
   * flush: a region whose writes applied before it (a whole-tree Bun run delayed the first check
   * past a test's 60 puts) counted none of them and never split.
   */
  readonly #atFlush = new Map<number, number>();
  /** The engine's flush count at the last check (-1: not looked yet). */
  #flushes = -1;
  /** Splits proposed (metrics and tests). */
  proposedCount = 0;
  #stopped = false;
  /** Why the last check of a region proposed nothing, with its size (diagnostics and tests). */
  lastPass = "";

  constructor(readonly d: SplitCheckDeps) {}

  start(): void {
    if (this.d.splitBytes <= 0 || this.#timer !== undefined) return;
    this.#stopped = false;
    const every = this.d.intervalMs ?? REGION_SPLIT_CHECK_MS;
    const again = () => {
      this.#timer = this.d.clock.setTimeout(() => {
        void this.check().catch((err) =>
          this.d.logger.warn("region.split_check_failed", { error: errorMessage(err) })
        ).finally(() => this.#timer !== undefined && again());
      }, every);
    };
    again();
  }

  /** Stops the checks; one running now proposes nothing more (it may be awaiting an id). */
  stop(): void {
    if (this.#timer !== undefined) this.d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopped = true;
  }

  /** One check: proposes the splits due among the next regions this node leads. */
  async check(): Promise<void> {
    this.#checks++;
    const db = this.d.db();
    const flushes = db.stats().flushes;
    const all = this.d.host.all();
    if (this.#flushes < 0) this.#flushes = flushes;
    else if (flushes !== this.#flushes) {
      this.#flushes = flushes;
      for (const r of all) this.#atFlush.set(r.id, r.appliedBytes());
    }
    const n = Math.min(all.length, REGION_SPLIT_CHECK_REGIONS_MAX);
    for (let i = 0; i < n; i++) {
      const r = all[(this.#cursor + i) % all.length];
      // Counts of a region led elsewhere meanwhile are not this leader's to judge by.
      if (r.group.rawNode.isLeader) this.d.load?.leading(r.id);
      else this.d.load?.forget(r.id);
      if (!r.group.rawNode.isLeader || !this.#due(r)) continue;
      const size = this.sizeOf(db, r), rate = this.d.load?.rate(r.id) ?? 0;
      this.lastPass = `region ${r.id}: ${size} bytes, ${rate} writes/s, check ${this.#checks}`;
      if (size > this.d.splitBytes) this.lastPass += `: ${await this.#propose(db, r)}`;
      else if (this.#hot(rate)) this.lastPass += `: by load, ${await this.#propose(db, r, true)}`;
    }
    this.#cursor = (this.#cursor + n) % Math.max(1, all.length);
  }

  #hot(rate: number): boolean {
    const limit = this.d.splitLoad ?? 0;
    return limit > 0 && rate > limit;
  }

  #due(r: HostedRegion): boolean {
    const p = this.#proposed.get(r.id);
    if (p === undefined) return true;
    if (p.version !== r.kv.descriptor.epoch.version) {
      this.#proposed.delete(r.id);
      this.d.load?.forget(r.id); // its range changed: its writes count from now
      return true;
    }
    return this.#checks - p.check >= REGION_SPLIT_RETRY_CHECKS;
  }

  /** The region's estimated bytes: its current records' table bytes plus its memtable share. */
  sizeOf(db: Db, r: HostedRegion): number {
    const { start, end } = r.kv.descriptor;
    const tables = db.approximateSize(dataKey(start), end.length > 0 ? dataKey(end) : DATA_END);
    const sinceFlush = r.appliedBytes() - (this.#atFlush.get(r.id) ?? 0);
    return tables + Math.max(0, sinceFlush);
  }

  /**
   * A key near the middle of the region's bytes, strictly inside it, with no key attached to a
   * lease at or after it (those stay in region 1: region_leased_keys.ts); undefined: none.
   */
  splitKey(db: Db, r: HostedRegion, byLoad = false): Uint8Array | undefined {
    const cut = byLoad ? this.d.load?.splitKey(r.kv.descriptor) : this.#middleKey(db, r);
    if (cut === undefined) return undefined;
    // Only region 1 holds leased keys (a put with a lease elsewhere is refused, a split never
    // moves one out, a merge never moves one in), so only its cut reads the records past it;
    // the split's apply checks again either way (region_split_refusal.ts).
    if (r.id !== 1) return cut;
    const span = r.kv.descriptor;
    const leased = lastLeasedKey(db, { start: cut, end: span.end }, r.kv.kv.leaseTable.size);
    return leased === undefined ? cut : firstKeyAfter(db, span, leased);
  }

  #middleKey(db: Db, r: HostedRegion): Uint8Array | undefined {
    const { start, end } = r.kv.descriptor;
    const from = dataKey(start), to = end.length > 0 ? dataKey(end) : DATA_END;
    const [cut] = db.splitKeys(from, to, 2);
    if (cut !== undefined && cut.length > 1) return cut.slice(1);
    const keys: Uint8Array[] = [];
    // Keys only: a region this small in the tables may hold a large value in the memtable.
    for (const [k] of db.scanSync({ start: from, end: to, keysOnly: true })) {
      keys.push(k);
      if (keys.length >= REGION_SPLIT_SCAN_KEYS_MAX) break;
    }
    // The middle key, never the first: a split at the start would leave an empty half.
    const middle = keys[Math.floor(keys.length / 2)];
    return keys.length < 2 || middle === undefined ? undefined : middle.slice(1);
  }

  /** Proposes region `r`'s split (at its writes' middle `byLoad`); what happened, in words. */
  async #propose(db: Db, r: HostedRegion, byLoad = false): Promise<string> {
    const splitKey = this.splitKey(db, r, byLoad);
    if (splitKey === undefined) return "no split key";
    // With ids of the node's own (region_ids.ts) they are unique only if it knows every region.
    if (!this.d.holdsEveryRegion()) return "a region is being added";
    const newRegionId = await this.d.ids.next(this.d.host.all().map((h) => h.id));
    if (newRegionId === undefined) return "no id";
    if (this.#stopped) return "stopped";
    const d = r.kv.descriptor;
    const replicas = confStateReplicas(r.group.rawNode.status().confState);
    const data = encodeRegionCommand({
      kind: "split",
      regionId: d.id,
      epoch: d.epoch,
      splitKey,
      newRegionId,
      replicas,
    });
    const proposed = r.group.propose(data);
    if (!proposed.ok) return "not proposed";
    r.group.kick();
    this.proposedCount++;
    this.#proposed.set(r.id, { check: this.#checks, version: d.epoch.version });
    const why = byLoad ? "load" : "size";
    this.d.logger.info("region.split_proposed", { region: d.id, child: newRegionId, why });
    return `proposed child ${newRegionId}`;
  }
}
