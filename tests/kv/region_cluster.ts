/**
 * Test cluster for region splits: three MultiRaftDrivers on a lossy in-memory network (as
 * tests/raft/multi_raft_cluster.ts), each node with one engine (Db on a simulated file system)
 * shared by the KV state machines of its regions (RegionKv). A split's child is added to the
 * driver between runs, as a node would (src/raft/multi/split_child.ts).
 */
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import type { RegionStateMachine } from "../../src/raft/multi/region_replica.ts";
import { addSplitChildren, type SplitChild } from "../../src/raft/multi/split_child.ts";
import type { NodeBatch } from "../../src/raft/multi/transport.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import { RegionKv, type SplitReport } from "../../src/kv/region_apply.ts";
import { openRegions } from "../../src/kv/region_open.ts";
import { Db } from "../../src/storage/db.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";
import type { ReadState } from "../../src/raft/core/read_only.ts";
import { toHex } from "../../src/util/bytes.ts";

/**
 * A region's KV state machine as the driver sees it; keeps the outcomes by index (with the
 * entry's term, which tells a proposer whether the entry there is its own) and the ReadIndex
 * answers by context.
 */
export class KvRegionSm implements RegionStateMachine {
  readonly outcomes = new Map<number, Uint8Array>();
  readonly terms = new Map<number, number>();
  readonly reads = new Map<string, number>();
  constructor(readonly kv: RegionKv) {}
  async apply(entries: readonly Entry[]): Promise<void> {
    const list = entries.map((e) => ({
      index: e.index,
      data: e.type === EntryType.Normal && e.data.length > 0 ? e.data : null,
    }));
    for (const e of entries) this.terms.set(e.index, e.term);
    for (const [i, o] of await this.kv.apply(list)) this.outcomes.set(i, o);
  }
  onReadStates(states: readonly ReadState[]): void {
    for (const s of states) this.reads.set(toHex(s.context), s.index);
  }
  restore(): void {
    throw new Error("these tests compact no log: no replica needs a snapshot");
  }
}

export interface KvNode {
  readonly id: number;
  readonly world: SimWorld;
  db: Db;
  log: MultiLogStore;
  driver: MultiRaftDriver;
  readonly sms: Map<number, KvRegionSm>;
  /** Splits applied and not yet added to the driver. */
  splits: SplitReport[];
}

export class RegionCluster {
  readonly nodes: KvNode[] = [];
  readonly down = new Set<number>();
  /** Nodes cut off from the others (they keep running: a partition, not a crash). */
  readonly isolated = new Set<number>();
  #queue: NodeBatch[] = [];
  readonly #prng: Prng;
  #incarnation = 1;
  readonly voters = [1, 2, 3];

  private constructor(readonly seed: number, readonly loss: number) {
    this.#prng = createPrng(seed);
  }

  static async start(seed: number, loss: number): Promise<RegionCluster> {
    const c = new RegionCluster(seed, loss);
    for (const id of c.voters) {
      const world = createSimWorld(seed * 100 + id, { trace: false });
      world.fs.mkdir("kv");
      const node = { id, world, sms: new Map(), splits: [] } as unknown as KvNode;
      c.nodes.push(node);
      await c.open(node);
    }
    return c;
  }

  node(n: number): KvNode {
    return this.nodes[n - 1];
  }

  sm(n: number, region: number): KvRegionSm | undefined {
    return this.node(n).sms.get(region);
  }

  /** Opens (or reopens after a crash) node n: its engine, log, driver and every region. */
  async open(node: KvNode): Promise<void> {
    const fs = node.world.fs;
    node.db = await Db.open(fs, "kv", { wal: false, seed: node.id });
    node.log = await MultiLogStore.open(fs, "multi", { preallocateBytes: 0 });
    node.driver = new MultiRaftDriver({
      nodeId: node.id,
      log: node.log,
      transport: { send: (b) => this.#queue.push(b) },
      raft: { electionTicks: 10, heartbeatTicks: 1, preVote: true },
      quiesce: true,
      peers: this.voters.filter((p) => p !== node.id),
      seed: this.seed * 10 + node.id,
      incarnation: this.#incarnation++,
    });
    node.sms.clear();
    node.splits = [];
    const regions = await openRegions(node.db, this.voters);
    // Region 1 is bootstrapped when the log has nothing of it (a new cluster); a split child
    // whose log is empty (a crash between its split and its log's first save) from its
    // descriptor, at its applied index (the split's).
    const first = regions.filter((kv) => kv.descriptor.id === 1);
    await node.driver.addRegions(
      first.map((kv) => ({ id: 1, sm: this.#sm(node, kv), voters: this.voters })),
    );
    // The bootstrap snapshot (index 1) holds the empty state, as the node's bootstrap.ts.
    const one = node.sms.get(1)?.kv;
    if (one !== undefined && one.kv.appliedIndex === 0) await one.apply([{ index: 1, data: null }]);
    const children = regions.filter((kv) => kv.descriptor.id !== 1).map((kv) => ({
      spec: { id: kv.descriptor.id, sm: this.#sm(node, kv) },
      index: kv.kv.appliedIndex,
      descriptor: kv.descriptor,
    }));
    await addSplitChildren(node.driver, node.log, children);
    this.down.delete(node.id);
  }

  #sm(node: KvNode, kv: RegionKv): KvRegionSm {
    const sm = new KvRegionSm(kv);
    kv.onSplit = (report) => node.splits.push(report);
    node.sms.set(kv.descriptor.id, sm);
    return sm;
  }

  /** Adds the children of the splits node n applied (between driver runs). */
  async #addChildren(node: KvNode): Promise<void> {
    if (node.splits.length === 0) return;
    const children: SplitChild[] = [];
    for (const s of node.splits) {
      const kv = await RegionKv.open(node.db, s.right.id);
      // The parent's leader campaigns for the child at once (TiKV's way).
      const campaign = node.driver.region(s.left.id)?.rawNode.isLeader === true;
      children.push({
        spec: { id: s.right.id, sm: this.#sm(node, kv) },
        index: s.index,
        descriptor: s.right,
        campaign,
      });
    }
    node.splits = [];
    await addSplitChildren(node.driver, node.log, children);
  }

  deliver(): void {
    const q = this.#queue;
    this.#queue = [];
    for (let i = q.length - 1; i > 0; i--) {
      const j = this.#prng.int(i + 1);
      [q[i], q[j]] = [q[j], q[i]];
    }
    for (const b of q) {
      if (this.down.has(b.to) || this.down.has(b.from)) continue;
      if (this.isolated.has(b.to) !== this.isolated.has(b.from)) continue;
      if (this.#prng.chance(this.loss)) continue;
      this.node(b.to).driver.receive(b);
    }
  }

  async run(times = 3): Promise<void> {
    for (let i = 0; i < times; i++) {
      for (const n of this.nodes) {
        if (this.down.has(n.id)) continue;
        await n.driver.runOnce();
        await this.#addChildren(n);
      }
      this.deliver();
    }
  }

  async tick(): Promise<void> {
    for (const n of this.nodes) if (!this.down.has(n.id)) n.driver.tick();
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

  leaderOf(region: number): number {
    for (const n of this.nodes) {
      if (!this.down.has(n.id) && n.driver.region(region)?.rawNode.isLeader) return n.id;
    }
    return 0;
  }

  /** Proposes `data` to the region's leader; resolves to the outcome once applied there. */
  async propose(region: number, data: Uint8Array, max = 300): Promise<Uint8Array> {
    await this.until(() => this.leaderOf(region) !== 0, max, `r${region} leader`);
    const leader = this.leaderOf(region);
    const res = this.node(leader).driver.propose(region, data);
    if (res === undefined || !res.ok || res.forwarded) throw new Error(`propose to r${region}`);
    const sm = this.sm(leader, region) as KvRegionSm;
    await this.until(() => sm.outcomes.has(res.index), max, `r${region} entry ${res.index}`);
    return sm.outcomes.get(res.index) as Uint8Array;
  }

  /** Ticks until every live node has region `region` applied up to its leader's applied index. */
  async settle(region: number, max = 300): Promise<void> {
    const applied = (n: KvNode) => n.sms.get(region)?.kv.kv.appliedIndex ?? -1;
    const live = () => this.nodes.filter((n) => !this.down.has(n.id));
    await this.until(
      () => {
        const leader = this.leaderOf(region);
        if (leader === 0) return false;
        const target = applied(this.node(leader));
        return live().every((n) => applied(n) === target);
      },
      max,
      `r${region} settled`,
    );
  }

  kill(n: number): void {
    this.down.add(n);
  }
}
