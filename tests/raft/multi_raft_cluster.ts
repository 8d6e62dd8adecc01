/**
 * Test cluster for the multi-region driver: N nodes (MultiRaftDriver over a
 * MultiLogStore on a simulated file system each) joined by an in-memory
 * network that loses and reorders batches from a seeded PRNG.
 */
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import type { Entry, Snapshot } from "../../src/raft/core/messages.ts";
import type { ReadState } from "../../src/raft/core/ready.ts";
import { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import type { RegionRaftConfig, RegionStateMachine } from "../../src/raft/multi/region_replica.ts";
import type { NodeHooks } from "../../src/raft/node_options.ts";
import type { ApplyPassBracket } from "../../src/raft/multi/apply_pass.ts";
import type { FileSystem } from "../../src/platform/types.ts";
import type { NodeBatch } from "../../src/raft/multi/transport.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import type { MultiLogOptions } from "../../src/raft/multi_log_upkeep.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";

/**
 * A state machine that records the data of the entries it applies; its image
 * (for a follower's snapshot) is the values applied up to an index.
 */
export class ListSm implements RegionStateMachine {
  applied: string[] = [];
  #indexes: number[] = [];
  flushes = 0;
  restores = 0;
  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      // As the server's state machine does: what it holds already is not applied again.
      if (e.data.length === 0 || e.index <= (this.#indexes.at(-1) ?? 0)) continue;
      this.applied.push(new TextDecoder().decode(e.data));
      this.#indexes.push(e.index);
    }
  }
  /** What survives a crash: the state as of the last flush or restore (an engine's image). */
  #durable: [number[], string[]] = [[], []];
  restore(s: Snapshot): void {
    const image = JSON.parse(new TextDecoder().decode(s.data)) as [number[], string[]];
    [this.#indexes, this.applied] = image;
    this.#durable = [[...image[0]], [...image[1]]];
    this.restores++;
  }
  /** The state machine a restarted node opens: its durable state. */
  reopened(): ListSm {
    const sm = new ListSm();
    [sm.#indexes, sm.applied] = [[...this.#durable[0]], [...this.#durable[1]]];
    sm.#durable = this.#durable;
    return sm;
  }
  reads = 0;
  onReadStates(states: readonly ReadState[]): void {
    this.reads += states.length;
  }
  flush(): void {
    this.flushes++;
    this.#durable = [[...this.#indexes], [...this.applied]];
  }
  image(index: number): Uint8Array {
    const n = this.#indexes.filter((i) => i <= index).length;
    return utf8(JSON.stringify([this.#indexes.slice(0, n), this.applied.slice(0, n)]));
  }
}

export interface ClusterOptions {
  readonly nodes: number;
  readonly regions: number;
  readonly seed: number;
  readonly loss: number;
  readonly quiesce: boolean;
  readonly snapshotEntries?: number;
  readonly snapshotBytes?: number;
  /** Overrides of the regions' Raft configuration. */
  readonly raft?: Partial<RegionRaftConfig>;
  /** Wraps node n's file system (e.g. to hold its fsyncs). */
  readonly wrapFs?: (n: number, fs: FileSystem) => FileSystem;
  readonly hooks?: (n: number, region: number) => NodeHooks;
  /** The driver's `holdCommitNotices` (commit_notices.ts). */
  readonly holdCommitNotices?: boolean;
  /** Node n's driver's `applyPass` (apply_pass.ts). */
  readonly applyPass?: (n: number) => ApplyPassBracket;
  /** The shared logs' segment options (small segments: rolls and copies forward). */
  readonly log?: MultiLogOptions;
  /** Sees every batch a node sends, as it is sent. */
  readonly sent?: (b: NodeBatch) => void;
  /** Sees node n's driver hand its queued batches to the wire now (MultiTransport.flushNow). */
  readonly flushed?: (n: number) => void;
}

export class MultiCluster {
  readonly worlds: SimWorld[] = [];
  readonly drivers: MultiRaftDriver[] = [];
  readonly logs: MultiLogStore[] = [];
  /** Per node, per region: the test state machine. */
  readonly sms: Map<number, ListSm>[] = [];
  readonly down = new Set<number>();
  #queue: NodeBatch[] = [];
  readonly #prng: Prng;
  #incarnation = 1;

  private constructor(readonly o: ClusterOptions) {
    this.#prng = createPrng(o.seed);
  }

  static async start(o: ClusterOptions): Promise<MultiCluster> {
    const c = new MultiCluster(o);
    for (let n = 1; n <= o.nodes; n++) {
      c.worlds.push(createSimWorld(o.seed * 100 + n, { trace: false }));
      c.drivers.push(undefined as unknown as MultiRaftDriver);
      c.logs.push(undefined as unknown as MultiLogStore);
      c.sms.push(new Map());
      await c.restart(n, true);
    }
    return c;
  }

  get voters(): number[] {
    return Array.from({ length: this.o.nodes }, (_, i) => i + 1);
  }

  driver(n: number): MultiRaftDriver {
    return this.drivers[n - 1];
  }

  sm(n: number, region: number): ListSm | undefined {
    return this.sms[n - 1].get(region);
  }

  /** (Re)opens node n's log and driver; fresh = bootstrap regions 1..regions. */
  async restart(n: number, fresh: boolean): Promise<void> {
    const fs = this.o.wrapFs?.(n, this.worlds[n - 1].fs) ?? this.worlds[n - 1].fs;
    const log = await MultiLogStore.open(fs, "multi", { preallocateBytes: 0, ...this.o.log });
    const d = new MultiRaftDriver({
      nodeId: n,
      log,
      transport: {
        send: (b) => {
          this.o.sent?.(b);
          this.#queue.push(b);
        },
        flushNow: () => this.o.flushed?.(n),
      },
      raft: { electionTicks: 10, heartbeatTicks: 1, preVote: true, ...this.o.raft },
      quiesce: this.o.quiesce,
      snapshotEntries: this.o.snapshotEntries,
      snapshotBytes: this.o.snapshotBytes,
      peers: this.voters.filter((p) => p !== n),
      seed: this.o.seed * 10 + n,
      incarnation: this.#incarnation++,
      holdCommitNotices: this.o.holdCommitNotices,
      applyPass: this.o.applyPass?.(n),
    });
    const ids = fresh
      ? Array.from({ length: this.o.regions }, (_, i) => i + 1)
      : log.regionIds().sort((a, b) => a - b);
    const before = this.sms[n - 1];
    const open = (id: number) => fresh ? new ListSm() : before.get(id)?.reopened() ?? new ListSm();
    this.sms[n - 1] = new Map(ids.map((id) => [id, open(id)]));
    const specs = ids.map((id) => ({
      id,
      sm: this.sms[n - 1].get(id) as ListSm,
      hooks: this.o.hooks?.(n, id),
    }));
    await d.addRegions(specs.map((s) => ({ ...s, voters: this.voters })));
    this.drivers[n - 1] = d;
    this.logs[n - 1] = log;
    this.down.delete(n);
  }

  /** Delivers queued batches in a shuffled order, losing `loss` of them. */
  deliver(): void {
    const q = this.#queue;
    this.#queue = [];
    for (let i = q.length - 1; i > 0; i--) {
      const j = this.#prng.int(i + 1);
      [q[i], q[j]] = [q[j], q[i]];
    }
    for (const b of q) {
      if (this.down.has(b.to) || this.down.has(b.from)) continue;
      if (this.#prng.chance(this.o.loss)) continue;
      this.driver(b.to).receive(b);
    }
  }

  /** Runs every live node's rounds and delivers, `times` times, without ticking. */
  async run(times = 3): Promise<void> {
    for (let i = 0; i < times; i++) {
      for (const d of this.drivers) if (!this.down.has(d.nodeId)) await d.runOnce();
      this.deliver();
    }
  }

  /** Ticks every live node once, then runs. */
  async tick(): Promise<void> {
    for (const d of this.drivers) if (!this.down.has(d.nodeId)) d.tick();
    await this.run(2);
  }

  /** Ticks until `done` holds; throws after `max` ticks. */
  async until(done: () => boolean, max: number, what: string): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (done()) return;
      await this.tick();
    }
    if (!done()) throw new Error(`${what}: not reached in ${max} ticks`);
  }

  /** The live node leading `region`, or 0. */
  leaderOf(region: number): number {
    for (const d of this.drivers) {
      if (this.down.has(d.nodeId)) continue;
      if (d.region(region)?.rawNode.isLeader) return d.nodeId;
    }
    return 0;
  }

  /** A new state machine for a region added at runtime on node n. */
  newSm(n: number, region: number): ListSm {
    const sm = new ListSm();
    this.sms[n - 1].set(region, sm);
    return sm;
  }

  kill(n: number): void {
    this.down.add(n);
  }
}
