/**
 * Three Raft groups driven by their own timers (`start()`/`kick()`, as the
 * server runs them) over a SimNetwork on SimClock time, through the
 * `RaftGroup` surface only: either three `RaftNode`s, or region 1 of three
 * `MultiRaftDriver`s (each also replicating region 2, which shares their
 * rounds, log and loop). raft_group_test.ts runs the same scenarios on both.
 */
import { createPrng, type Prng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { SimNetwork } from "../../src/platform/sim/sim_network.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RaftNode } from "../../src/raft/node.ts";
import type { RaftGroup } from "../../src/raft/group.ts";
import type { NodeHooks } from "../../src/raft/node_options.ts";
import { type Entry, EntryType, type Message } from "../../src/raft/core/messages.ts";
import { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import { MultiRaftLoop } from "../../src/raft/multi/driver_loop.ts";
import type { NodeBatch } from "../../src/raft/multi/transport.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import { bootstrapRequest } from "../../src/raft/multi/round_io.ts";

export const VOTERS = [1, 2, 3];
const RAFT = { electionTicks: 10, heartbeatTicks: 2, preVote: true };

export interface GroupCluster {
  readonly clock: SimClock;
  readonly groups: readonly RaftGroup[];
  /** Per node: the data of the normal entries applied, in order. */
  readonly applied: ReadonlyMap<number, string[]>;
  /** Per node: what its hooks saw ("lead N", "read CTX@INDEX", "conf ..."). */
  readonly events: ReadonlyMap<number, string[]>;
  group(id: number): RaftGroup;
  leader(): RaftGroup | undefined;
  /** Advances the clock in 5 ms steps until `done` (at most `ms`). */
  runUntil(done: () => boolean, ms: number): Promise<boolean>;
  stop(): void;
}

export type GroupFactory = (seed: number) => Promise<GroupCluster>;

/** Lets pending promise callbacks (fsync completions) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function recorder(id: number, applied: Map<number, string[]>, events: Map<number, string[]>) {
  const log: string[] = [];
  const ev: string[] = [];
  applied.set(id, log);
  events.set(id, ev);
  const apply = (ents: readonly Entry[]) => {
    for (const e of ents) {
      if (e.type === EntryType.Normal && e.data.length > 0) {
        log.push(new TextDecoder().decode(e.data));
      }
    }
  };
  const hooks: NodeHooks = {
    onSoftState: (s) => ev.push(`lead ${s.lead}`),
    onReadStates: (rs) => rs.forEach((r) => ev.push(`read ${new TextDecoder().decode(r.context)}`)),
    onConfChange: (_cc, cs) => ev.push(`conf ${cs.voters}`),
  };
  return { apply, hooks };
}

function cluster(
  clock: SimClock,
  groups: RaftGroup[],
  applied: Map<number, string[]>,
  events: Map<number, string[]>,
  stop: () => void,
): GroupCluster {
  return {
    clock,
    groups,
    applied,
    events,
    group: (id) => groups[id - 1],
    leader: () => groups.find((g) => g.rawNode.isLeader && g.failure === undefined),
    runUntil: async (done, ms) => {
      for (let t = 0; t < ms && !done(); t += 5) {
        clock.advance(5);
        await settle();
      }
      return done();
    },
    stop,
  };
}

export const singleGroup: GroupFactory = async (seed) => {
  const clock = new SimClock();
  const prng = createPrng(seed);
  const net = new SimNetwork<Message>(clock, prng.fork(), { delayMinMs: 1, delayMaxMs: 5 });
  const applied = new Map<number, string[]>(), events = new Map<number, string[]>();
  const groups: RaftGroup[] = [];
  for (const id of VOTERS) {
    const store = await LogStore.open(new SimFileSystem(prng.fork(), clock), "raft");
    await store.save(bootstrapRequest(VOTERS));
    const { apply, hooks } = recorder(id, applied, events);
    const node: RaftNode = new RaftNode({
      raft: { id, ...RAFT, prng: prng.fork() },
      logStore: store,
      transport: { send: (msgs) => msgs.forEach((m) => net.send(String(m.from), String(m.to), m)) },
      stateMachine: { apply, restore: () => {}, image: () => utf8("image") },
      hooks,
      clock,
      tickMs: 10,
    });
    net.attach(String(id), (_from, m) => {
      if (node.receive(m)) node.kick();
    });
    groups.push(node);
  }
  for (const g of groups) g.start();
  return cluster(clock, groups, applied, events, () => groups.forEach((g) => g.stop()));
};

export const regionOfMulti: GroupFactory = async (seed) => {
  const clock = new SimClock();
  const prng = createPrng(seed);
  const net = new SimNetwork<NodeBatch>(clock, prng.fork(), { delayMinMs: 1, delayMaxMs: 5 });
  const applied = new Map<number, string[]>(), events = new Map<number, string[]>();
  const groups: RaftGroup[] = [];
  const loops: MultiRaftLoop[] = [];
  for (const id of VOTERS) {
    const log = await MultiLogStore.open(new SimFileSystem(prng.fork(), clock), "multi", {
      preallocateBytes: 0,
    });
    const d = new MultiRaftDriver({
      nodeId: id,
      log,
      transport: { send: (b) => net.send(String(b.from), String(b.to), b) },
      raft: RAFT,
      peers: VOTERS.filter((p) => p !== id),
      seed: seed * 10 + id,
      incarnation: id,
      clock,
    });
    const { apply, hooks } = recorder(id, applied, events);
    const sm = { apply, restore: () => {}, flush: () => {}, image: () => utf8("image") };
    const other = { apply: () => {}, restore: () => {} };
    await d.addRegions([
      { id: 1, sm, hooks, voters: VOTERS },
      { id: 2, sm: other, voters: VOTERS },
    ]);
    loops.push(new MultiRaftLoop(d, clock, 10));
    const g = d.regionNode(1);
    if (g === undefined) throw new Error("region 1 missing");
    // Region 1's messages go through its handle; the rest (region 2, beats) to the driver.
    net.attach(String(id), (_from, b) => {
      const rest = b.messages.filter((rm) => rm.region !== 1);
      for (const rm of b.messages) if (rm.region === 1) g.receive(rm.message);
      if (rest.length > 0 || b.beat !== undefined) d.receive({ ...b, messages: rest });
      g.kick();
    });
    groups.push(g);
  }
  for (const g of groups) g.start();
  return cluster(clock, groups, applied, events, () => loops.forEach((l) => l.stop()));
};

export function proposeAll(g: RaftGroup, prefix: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = g.propose(utf8(`${prefix}${i}`));
    if (!r.ok) throw new Error(`propose refused: ${r.reason}`);
  }
  g.kick();
}

export type { Prng };
