/**
 * N real Raft nodes (RaftNode driver + LogStore + KV state machine) on the
 * simulated platform: one SimClock, a SimNetwork carrying Raft messages, and
 * one SimFileSystem per node so a crash loses that node's un-synced writes.
 * Everything random comes from one seed.
 */
import { createPrng, type Prng } from "../../src/util/prng.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { type CrashMode, SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { SimNetwork } from "../../src/platform/sim/sim_network.ts";
import { ReadOnlyOption } from "../../src/raft/core/config.ts";
import { type Message, MessageType } from "../../src/raft/core/messages.ts";
import type { Raft } from "../../src/raft/core/raft.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import type { ReadState } from "../../src/raft/core/ready.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RaftNode } from "../../src/raft/node.ts";
import { KvStateMachine } from "./kv_model.ts";
import { SafetyChecker } from "./checkers/safety.ts";
import { CrashingFileSystem, SimulatedPowerLoss } from "./crashing_fs.ts";

export interface ClusterOptions {
  readonly nodes: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly lease: boolean;
  /** Compact the log after this many applied entries past the last snapshot. */
  readonly snapshotEvery: number;
  readonly segmentBytes: number;
  /** Step of the log store's zeros ahead of its records (0: none). */
  readonly preallocateBytes: number;
  /** Bytes per append message (small values force many small appends). */
  readonly maxMsgBytes: number;
  /** Appends in flight per follower. */
  readonly maxInflight: number;
  /** Also compact after this many applied payload bytes (undefined: count only). */
  readonly snapshotBytes?: number;
}

export const ELECTION_TICKS = 10;
export const HEARTBEAT_TICKS = 2;
export const TICK_MS = 10;

export interface SimNode {
  readonly id: number;
  readonly fs: SimFileSystem;
  /** The node's view of its disk: may lose power in the middle of an fsync. */
  readonly disk: CrashingFileSystem;
  readonly prng: Prng;
  store: LogStore | undefined;
  node: RaftNode | undefined;
  sm: KvStateMachine;
  /** Ticks missed while paused; delivered (as a catch-up) on resume. */
  pausedTicks: number;
  paused: boolean;
  readStates: ReadState[];
}

export class Cluster {
  readonly clock = new SimClock();
  readonly prng: Prng;
  readonly net: SimNetwork<Message>;
  readonly nodes = new Map<number, SimNode>();
  readonly checker = new SafetyChecker();
  readonly opts: ClusterOptions;
  ticks = 0;
  /** What happened during the run, to show that the faults really occur. */
  readonly stats = { crashes: 0, restarts: 0, snapshotsSent: 0, pauses: 0, confChanges: 0 };

  private constructor(seed: number, opts: ClusterOptions) {
    this.prng = createPrng(seed);
    this.opts = opts;
    this.net = new SimNetwork<Message>(this.clock, this.prng.fork(), {
      delayMinMs: 1,
      delayMaxMs: 2 * TICK_MS,
    });
  }

  static async create(seed: number, opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(seed, opts);
    const voters = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    for (const id of voters) {
      const fs = new SimFileSystem(c.prng.fork(), c.clock);
      const n: SimNode = {
        id,
        fs,
        disk: new CrashingFileSystem(fs, c.prng.fork()),
        prng: c.prng.fork(),
        store: undefined,
        node: undefined,
        sm: new KvStateMachine(),
        pausedTicks: 0,
        paused: false,
        readStates: [],
      };
      c.nodes.set(id, n);
      const store = await LogStore.open(fs, "raft", {
        segmentBytes: opts.segmentBytes,
        preallocateBytes: opts.preallocateBytes,
      });
      const cs = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
      await store.save({
        hardState: { term: 1, vote: 0, commit: 1 },
        entries: [],
        snapshot: { metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) },
        mustSync: true,
      });
      store.close();
      await c.start(id);
    }
    return c;
  }

  get(id: number): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  isUp(id: number): boolean {
    return this.get(id).node !== undefined;
  }

  /** Restarts a node; if power fails again during recovery it stays down. */
  async start(id: number): Promise<boolean> {
    try {
      await this.#start(id);
      return true;
    } catch (err) {
      if (!(err instanceof SimulatedPowerLoss)) throw err;
      this.#down(this.get(id));
      return false;
    }
  }

  /** Opens the node's log from its disk and starts a fresh driver. */
  async #start(id: number): Promise<void> {
    const n = this.get(id);
    const store = await LogStore.open(n.disk, "raft", {
      segmentBytes: this.opts.segmentBytes,
      preallocateBytes: this.opts.preallocateBytes,
    });
    const sm = new KvStateMachine();
    sm.onApply = (e) => this.checker.onApply(id, e);
    const snap = store.storage.snapshot();
    sm.restore(snap);
    n.store = store;
    n.sm = sm;
    n.readStates = [];
    n.paused = false;
    n.pausedTicks = 0;
    n.node = new RaftNode({
      raft: {
        id,
        electionTicks: ELECTION_TICKS,
        heartbeatTicks: HEARTBEAT_TICKS,
        prng: n.prng.fork(),
        preVote: this.opts.preVote,
        checkQuorum: this.opts.checkQuorum || this.opts.lease,
        readOnlyOption: this.opts.lease ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
        maxMsgBytes: this.opts.maxMsgBytes,
        maxInflightMsgs: this.opts.maxInflight,
      },
      logStore: store,
      transport: {
        send: (msgs) => {
          for (const m of msgs) {
            if (m.type === MessageType.Snap) this.stats.snapshotsSent++;
            this.net.send(String(m.from), String(m.to), m);
          }
        },
      },
      stateMachine: sm,
      snapshotEntries: this.opts.snapshotEvery,
      snapshotBytes: this.opts.snapshotBytes,
      hooks: { onReadStates: (rs) => n.readStates.push(...rs) },
    });
    this.checker.onRestart(id);
    this.net.attach(String(id), (_from, m) => {
      n.node?.receive(m);
    });
  }

  /** Power loss: un-synced writes are lost (or the last one torn). */
  crash(id: number, mode: CrashMode): void {
    const n = this.get(id);
    n.fs.crash(mode);
    this.#down(n);
  }

  #down(n: SimNode): void {
    this.stats.crashes++;
    n.node = undefined;
    n.store = undefined;
    this.net.detach(String(n.id));
  }

  rafts(): Map<number, Raft> {
    const m = new Map<number, Raft>();
    for (const [id, n] of this.nodes) {
      if (n.node !== undefined) m.set(id, RawNode.innerRaftForTesting(n.node.rawNode));
    }
    return m;
  }

  /** The up, unpaused leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      const r = n.node?.rawNode;
      if (r === undefined || n.paused || !r.isLeader) continue;
      if (r.term > bestTerm) {
        best = n;
        bestTerm = r.term;
      }
    }
    return best;
  }

  /** Advances virtual time by one tick and lets every running node work. */
  async step(): Promise<void> {
    this.clock.advance(TICK_MS);
    this.ticks++;
    // Normal runs send ~15 messages per tick at most; a storm is a bug, and
    // failing beats a run that slows to a crawl.
    if (this.net.stats.sent > 200 * this.ticks + 10_000) {
      throw new Error(`message storm: ${this.net.stats.sent} messages in ${this.ticks} ticks`);
    }
    for (const n of this.nodes.values()) {
      const node = n.node;
      if (node === undefined) continue;
      if (n.paused) {
        n.pausedTicks++;
        continue;
      }
      node.tick();
      await this.#run(n, node);
    }
    this.checker.check(this.rafts());
  }

  async #run(n: SimNode, node: RaftNode): Promise<void> {
    try {
      await node.runOnce();
    } catch (err) {
      // Power failed in the middle of persisting a Ready: that node is down.
      if (!(err instanceof SimulatedPowerLoss)) throw err;
      this.#down(n);
    }
  }

  pause(id: number): void {
    this.stats.pauses++;
    this.get(id).paused = true;
  }

  /** Resumes a paused node: it first catches up on the ticks it missed (as a driver does). */
  async resume(id: number): Promise<void> {
    const n = this.get(id);
    n.paused = false;
    const node = n.node;
    if (node === undefined) return;
    for (let i = 0; i < n.pausedTicks; i++) node.tick();
    n.pausedTicks = 0;
    await this.#run(n, node);
  }
}
