/**
 * The expiry sweeper and automatic history compaction of every region other than region 1
 * (docs/regions.md "The node holding many regions"; region 1 keeps its own: expiry_wiring.ts,
 * node_service.ts). Each region gets an `ExpirySweeper` and a `HistoryRetention` over its own
 * records, but none of their timers: the node runs two timers in all (every `sweepMs` and every
 * retention `checkMs`), each tick visiting the next REGION_SERVICES_REGIONS_PER_TICK regions
 * round-robin, so the work per tick is bounded whatever the region count and a quiescent region
 * costs a visit now and then, never a timer of its own. A sweep or a compaction is proposed only
 * to a region this node leads, and never forwarded (a `compact` carries no key: forwarded, it
 * would be routed to region 1).
 *
 * The Redis garbage collector needs nothing here: it is node-local, and each region's state
 * machine runs its own over its own queue (state_machine.ts, redis/garbage.ts).
 */
import type { CommandInit } from "../../kv/command_codec.ts";
import type { DueKeys } from "../../kv/expiry_index.ts";
import { REGION_SERVICES_REGIONS_PER_TICK } from "../../limits_ops.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { Logger } from "../log/logger.ts";
import { errorMessage } from "../../util/errors.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { ExpirySweeper } from "./expiry_sweeper.ts";
import { HistoryRetention, type RetentionOptions } from "./history_retention.ts";
import { QuietExpiry } from "./quiet_expiry.ts";
import type { HostedRegion } from "./region_host.ts";

export interface RegionServicesDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The regions the node holds, in key order (region 1 among them: skipped). */
  readonly regions: () => readonly HostedRegion[];
  readonly engine: () => EngineHolder;
  /** Proposes `command` to region `r`, which this node leads; refused (never forwarded) if not. */
  readonly propose: (r: HostedRegion, command: CommandInit) => Promise<unknown>;
  readonly sweepMs: number;
  readonly retention: RetentionOptions;
  /** The compaction every region follows (region 1's compacted revision: decision 0018). */
  readonly floor?: () => number;
}

interface Services {
  /** The hosted region they serve: one that left this node and came back is a new one. */
  readonly region: HostedRegion;
  readonly sweeper: ExpirySweeper;
  readonly retention: HistoryRetention;
}

export class RegionServices {
  readonly #services = new Map<number, Services>();
  /** Per region: whether its last sweep found nothing due, as of which state, until when. */
  readonly #quiet = new Map<number, QuietExpiry>();
  readonly #timers: TimerId[] = [];
  #stopped = true;
  #sweepCursor = 0;
  #retainCursor = 0;

  constructor(readonly d: RegionServicesDeps) {}

  start(): void {
    this.#stopped = false;
    this.#every(this.d.sweepMs, () => this.sweepTick());
    const r = this.d.retention;
    const follows = this.d.floor !== undefined;
    if (r.revisions > 0 || r.ageMs > 0 || follows) {
      this.#every(r.checkMs, () => this.retentionTick());
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) this.d.clock.clearTimeout(t);
    this.#timers.length = 0;
    for (const s of this.#services.values()) s.sweeper.stop();
  }

  /** expire_keys commands proposed over every region (metrics and tests). */
  get sweepsProposed(): number {
    let n = 0;
    for (const s of this.#services.values()) n += s.sweeper.proposed;
    return n;
  }

  /** Compactions proposed over every region (metrics and tests). */
  get compactionsProposed(): number {
    let n = 0;
    for (const s of this.#services.values()) n += s.retention.proposed;
    return n;
  }

  /** One sweep tick: the next regions' sweeps, each bounded (EXPIRE_KEYS_PER_COMMAND_MAX). */
  async sweepTick(): Promise<void> {
    const visit = this.#next("sweep");
    await Promise.all(visit.map((r) => this.#of(r).sweeper.sweep()));
  }

  /** One retention tick: the next regions sample their revision; their leaders compact. */
  retentionTick(): void {
    for (const r of this.#next("retain")) this.#of(r).retention.check();
  }

  #every(ms: number, run: () => unknown): void {
    const slot = this.#timers.length;
    const tick = () => {
      if (this.#stopped) return;
      // A tick that fails (the engine closed under it while a snapshot swaps it) is logged, and
      // the next tick tries again; unhandled, it took the whole process down (a simulator seed).
      void Promise.resolve().then(run).catch((err) => {
        this.d.logger.warn("region.services_failed", { error: errorMessage(err) });
      });
      this.#timers[slot] = this.d.clock.setTimeout(tick, ms);
    };
    this.#timers.push(this.d.clock.setTimeout(tick, ms));
  }

  /** The next REGION_SERVICES_REGIONS_PER_TICK regions other than region 1, round-robin. */
  #next(which: "sweep" | "retain"): HostedRegion[] {
    const all = this.d.regions().filter((r) => r.id !== 1);
    this.#forgetGone(all);
    if (all.length === 0) return [];
    const n = Math.min(all.length, REGION_SERVICES_REGIONS_PER_TICK);
    const from = which === "sweep" ? this.#sweepCursor : this.#retainCursor;
    const out: HostedRegion[] = [];
    for (let i = 0; i < n; i++) out.push(all[(from + i) % all.length]);
    const next = (from + n) % all.length;
    if (which === "sweep") this.#sweepCursor = next;
    else this.#retainCursor = next;
    return out;
  }

  /** Drops the services of regions no longer held (their samples go with them). */
  #forgetGone(all: readonly HostedRegion[]): void {
    if (this.#services.size <= all.length) return;
    const held = new Set(all.map((r) => r.id));
    for (const id of this.#services.keys()) if (!held.has(id)) this.#services.delete(id);
    for (const id of this.#quiet.keys()) if (!held.has(id)) this.#quiet.delete(id);
  }

  /** The region's due keys, unless nothing can be due (quiet_expiry.ts). */
  #dueKeys(r: HostedRegion, nowMs: number, max: number): Promise<DueKeys> {
    let quiet = this.#quiet.get(r.id);
    if (quiet === undefined) this.#quiet.set(r.id, quiet = new QuietExpiry());
    return quiet.dueKeys(this.d.engine(), r.kv, r.kv.kv.region, nowMs, max);
  }

  #of(r: HostedRegion): Services {
    const known = this.#services.get(r.id);
    if (known?.region === r) return known;
    // Kept for the region as it was before it left and came back, they would read its old
    // records and propose to it (region_router.ts `#path`).
    known?.sweeper.stop();
    const d = this.d;
    const isLeader = () => r.group.rawNode.isLeader;
    const execute = (command: CommandInit) => d.propose(r, command);
    const sweeper = new ExpirySweeper({
      clock: d.clock,
      isLeader,
      dueKeys: (nowMs, max) => this.#dueKeys(r, nowMs, max),
      execute,
      log: (line) =>
        d.logger.warn("expiry.sweep_failed", {
          region: r.id,
          error: line.replace(/^.*?sweep: /, ""),
        }),
    }, d.sweepMs);
    const retention = new HistoryRetention({
      clock: d.clock,
      isLeader,
      revision: () => r.kv.kv.revision,
      index: () => r.kv.kv.appliedIndex, // a region besides region 1: revisions are timestamps
      compacted: () => r.kv.kv.compactedRevision,
      floor: d.floor,
      execute,
      logger: d.logger,
    }, d.retention);
    sweeper.arm();
    const services = { region: r, sweeper, retention };
    this.#services.set(r.id, services);
    return services;
  }
}
