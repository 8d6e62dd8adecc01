/**
 * A placement group on three real RaftNode drivers (timers, SimNetwork, LogStore on a simulated
 * disk, SimClock time), each applying to its own PlacementState, as tests/raft/
 * node_cluster_test.ts runs the driver. `propose` stamps a command with the leader's clock,
 * proposes it through the leader and waits for the outcome at the entry's index.
 */
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { SimNetwork } from "../../src/platform/sim/sim_network.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RaftNode } from "../../src/raft/node.ts";
import type { Message } from "../../src/raft/core/messages.ts";
import {
  encodeCommand,
  type PlacementCommandBody,
} from "../../src/placement/placement_commands.ts";
import { type AppliedOutcome, PlacementState } from "../../src/placement/placement_state.ts";
import { createPrng } from "../../src/util/prng.ts";

export interface Member {
  readonly id: number;
  readonly node: RaftNode;
  readonly state: PlacementState;
  /** This member's clock (a skewed view of the shared SimClock). */
  nowMs(): number;
  /** Snapshots the driver had the state restore (a follower that fell behind the log). */
  restores: number;
}

/** Lets pending promise callbacks (fsync completions) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export class PlacementCluster {
  readonly clock: SimClock;
  readonly net: SimNetwork<Message>;
  readonly members: Member[] = [];
  /** Per member id, ms added to the shared clock (a skewed clock). */
  readonly skewMs = new Map<number, number>();

  private constructor(startMs: number, seed: number) {
    this.clock = new SimClock(startMs);
    this.net = new SimNetwork<Message>(this.clock, createPrng(seed), {
      delayMinMs: 1,
      delayMaxMs: 5,
    });
  }

  /** Three members, compacting their logs every `snapshotEntries` applied entries. */
  static async start(startMs: number, seed: number, snapshotEntries = 16) {
    const c = new PlacementCluster(startMs, seed);
    const prng = createPrng(seed + 1);
    const voters = [1, 2, 3];
    const cs = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
    for (const id of voters) {
      const store = await LogStore.open(new SimFileSystem(prng.fork(), c.clock), "placement");
      await store.save({
        hardState: { term: 1, vote: 0, commit: 1 },
        entries: [],
        snapshot: { metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) },
        mustSync: true,
      });
      const state = new PlacementState({ replaceTimeoutMs: 30_000 });
      state.restore(store.storage.snapshot()); // the empty state at index 1
      const node: RaftNode = new RaftNode({
        raft: { id, electionTicks: 10, heartbeatTicks: 2, prng: prng.fork(), preVote: true },
        logStore: store,
        transport: {
          send: (msgs) => msgs.forEach((m) => c.net.send(String(m.from), String(m.to), m)),
        },
        stateMachine: {
          apply: (entries) => state.apply(entries),
          restore: (snapshot) => {
            member.restores++;
            state.restore(snapshot);
          },
          image: () => state.image(),
        },
        clock: c.clock,
        tickMs: 10,
        snapshotEntries,
      });
      c.net.attach(String(id), (_from, m) => {
        if (node.receive(m)) node.kick();
      });
      const nowMs = () => c.clock.nowMs() + (c.skewMs.get(id) ?? 0);
      const member: Member = { id, node, state, nowMs, restores: 0 };
      c.members.push(member);
    }
    for (const m of c.members) m.node.start();
    return c;
  }

  /** Advances time by `ms` in steps of 5 ms, letting every node run. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 5) {
      this.clock.advance(5);
      await settle();
    }
  }

  /** The member that leads (and is not cut off from a majority), waiting up to 5 s for one. */
  async leader(exclude = 0): Promise<Member> {
    for (let t = 0; t < 5_000; t += 5) {
      const m = this.members.find((x) => x.node.rawNode.isLeader && x.id !== exclude);
      if (m !== undefined) return m;
      await this.run(5);
    }
    throw new Error("no leader within 5 s");
  }

  /**
   * Proposes `body` through the leader (not `exclude`), stamped with the leader's clock, and
   * resolves with its outcome; retries (bounded) when leadership moves under it.
   */
  async propose(body: PlacementCommandBody, exclude = 0): Promise<AppliedOutcome> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const leader = await this.leader(exclude);
      const data = encodeCommand({ ...body, atMs: leader.nowMs() });
      const r = leader.node.propose(data);
      if (!r.ok || r.forwarded) {
        await this.run(20);
        continue;
      }
      leader.node.kick();
      for (let t = 0; t < 2_000; t += 5) {
        const o = leader.state.outcome(r.index);
        if (o !== undefined && o.term === r.term) return o;
        if (o !== undefined || !leader.node.rawNode.isLeader) break; // lost: propose again
        await this.run(5);
      }
    }
    throw new Error(`${body.kind} not applied after 10 attempts`);
  }

  /** Runs until every member applied the leader's commit index (bounded), then stops. */
  async converge(): Promise<void> {
    for (let t = 0; t < 5_000; t += 5) {
      const target = Math.max(...this.members.map((m) => m.node.rawNode.status().commit));
      if (this.members.every((m) => m.state.appliedIndex >= target)) return;
      await this.run(5);
    }
    throw new Error("members did not converge within 5 s");
  }

  stop(): void {
    for (const m of this.members) m.node.stop();
  }
}
