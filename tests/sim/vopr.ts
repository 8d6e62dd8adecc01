/**
 * The seeded simulation run (after TigerBeetle's VOPR): a safety phase with
 * random faults under a client workload, then a liveness phase (heal, restart,
 * require progress within a bounded number of ticks), then final checks.
 * Every random choice derives from the seed, so a failing seed replays exactly:
 *   deno run -A tests/sim/run_seeds.ts --seed <seed>
 */
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { StateType } from "../../src/raft/core/raft.ts";
import {
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
} from "../../src/raft/core/confchange/conf_change.ts";
import { Cluster, type ClusterOptions, ELECTION_TICKS } from "./cluster.ts";
import { checkHistory } from "../../src/sim/linearizability.ts";
import { Workload } from "./workload.ts";
import { encodePut } from "./kv_model.ts";

export interface RunOptions {
  readonly seed: number;
  /** Ticks of the fault phase. */
  readonly ticks: number;
  readonly nodes?: number;
}

export interface RunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly options: ClusterOptions;
  readonly completedOps: number;
  readonly livenessTicks: number;
  readonly stats: Record<string, number>;
}

/** Liveness bound: after healing, progress must happen within this many ticks. */
export const LIVENESS_TICKS_MAX = 40 * ELECTION_TICKS;

export function optionsForSeed(seed: number, nodes?: number): ClusterOptions {
  const p = createPrng(seed ^ 0x5eed);
  const lease = p.chance(0.3);
  return {
    nodes: nodes ?? (p.chance(0.5) ? 3 : 5),
    preVote: p.chance(0.5),
    checkQuorum: lease || p.chance(0.5),
    lease,
    snapshotEvery: p.range(5, 40),
    segmentBytes: 2048,
    maxMsgBytes: p.chance(0.5) ? p.range(1, 200) : 1 << 20,
    maxInflight: p.chance(0.3) ? p.range(1, 4) : 256,
    snapshotBytes: p.chance(0.3) ? p.range(200, 2000) : undefined,
    preallocateBytes: [0, 256, 1000][p.int(3)] ?? 0,
  };
}

export async function runSeed(o: RunOptions): Promise<RunResult> {
  const options = optionsForSeed(o.seed, o.nodes);
  const c = await Cluster.create(o.seed, options);
  const w = new Workload(c, 3);
  for (const n of c.nodes.values()) w.attach(n);
  const faults = new Faults(c, w);
  let livenessTicks = 0;
  try {
    c.net.options.dropRate = c.prng.chance(0.6) ? c.prng.range(1, 15) / 100 : 0;
    c.net.options.duplicateRate = c.prng.chance(0.5) ? c.prng.range(1, 10) / 100 : 0;
    const powerLossRate = [0, 0.002, 0.01, 0.03][c.prng.int(4)] ?? 0;
    for (const n of c.nodes.values()) n.disk.crashRate = powerLossRate;
    for (let t = 0; t < o.ticks; t++) {
      await faults.step();
      w.step();
      await c.step();
      if (t % 10 === 0) c.checker.checkLogMatching(c.rafts());
    }
    livenessTicks = await liveness(c, w);
    w.finish();
    c.checker.checkLogMatching(c.rafts());
    await checkConverged(c);
    const lin = checkHistory(w.history);
    if (!lin.ok) throw new Error(`history not linearizable for key ${lin.key}`);
    // A search that ran out of budget proves nothing: count it as a failure.
    if (lin.unknown === true) throw new Error("linearizability check exceeded its search budget");
    return {
      seed: o.seed,
      ok: true,
      options,
      completedOps: w.completed,
      livenessTicks,
      stats: stats(c),
    };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return {
      seed: o.seed,
      ok: false,
      error,
      options,
      completedOps: w.completed,
      livenessTicks,
      stats: stats(c),
    };
  }
}

function stats(c: Cluster): Record<string, number> {
  let maxTerm = 0;
  for (const r of c.rafts().values()) maxTerm = Math.max(maxTerm, r.term);
  return {
    ...c.stats,
    leaders: c.checker.leaders.size,
    maxTerm,
    committed: c.checker.committed.size,
    dropped: c.net.stats.dropped,
    duplicated: c.net.stats.duplicated,
    cut: c.net.stats.cut,
  };
}

/** Heals everything, then requires a leader and a committed write within a bound. */
async function liveness(c: Cluster, w: Workload): Promise<number> {
  c.net.heal();
  c.net.options.dropRate = 0;
  c.net.options.duplicateRate = 0;
  for (const n of c.nodes.values()) {
    n.disk.crashRate = 0;
    if (n.node === undefined) {
      await c.start(n.id);
      w.attach(n);
    } else if (n.paused) {
      await c.resume(n.id);
    }
  }
  const marker = encodePut({ client: 1_000_000, seq: 1, key: "__liveness", value: "done" });
  // Proposed under (leader, term); a new leader means the proposal may be lost:
  // propose again (the state machine applies a client's sequence number once).
  let proposedUnder = "";
  for (let t = 1; t <= LIVENESS_TICKS_MAX; t++) {
    await c.step();
    const leader = c.leader();
    const rn = leader?.node?.rawNode;
    const under = rn === undefined ? "" : `${leader?.id}@${rn.term}`;
    if (rn !== undefined && under !== proposedUnder && rn.propose(marker).ok) proposedUnder = under;
    if (proposedUnder !== "" && allMembersApplied(c)) return t;
  }
  throw new Error(
    `liveness: no committed write within ${LIVENESS_TICKS_MAX} ticks after healing; ` +
      describeNodes(c),
  );
}

function describeNodes(c: Cluster): string {
  const parts: string[] = [];
  for (const [id, r] of c.rafts()) {
    const cs = r.trk.config;
    parts.push(
      `[${id} ${["F", "C", "L", "P"][r.state]} t${r.term} lead${r.lead} commit${r.log.committed}` +
        ` last${r.log.lastIndex()} applied${c.get(id).sm.applied}` +
        ` voters(${[...cs.voters[0]]})&(${[...cs.voters[1]]}) learners(${[...cs.learners]})]`,
    );
  }
  return parts.join(" ");
}

function allMembersApplied(c: Cluster): boolean {
  const leader = c.leader()?.node?.rawNode;
  if (leader === undefined) return false;
  const members = new Set(leader.status().confState.voters);
  for (const id of members) {
    if (c.get(id).sm.data.get("__liveness") !== "done") return false;
  }
  return true;
}

/** Once every voter has applied the same index, they all hold the same data. */
async function checkConverged(c: Cluster): Promise<void> {
  // Membership as the leader knows it: a removed node may never learn it was removed.
  const voters = new Set(c.leader()?.node?.rawNode.status().confState.voters ?? []);
  const isVoter = (id: number): boolean => voters.has(id) && c.isUp(id);
  for (let t = 0; t < 10 * ELECTION_TICKS; t++) {
    const applied = new Set<number>();
    for (const n of c.nodes.values()) if (isVoter(n.id)) applied.add(n.sm.applied);
    if (applied.size === 1) break;
    await c.step();
  }
  let ref: string | undefined;
  let refId = 0;
  for (const n of c.nodes.values()) {
    if (!isVoter(n.id)) continue;
    const image = `${n.sm.applied}:${JSON.stringify([...n.sm.data.entries()].sort())}`;
    if (ref === undefined) {
      ref = image;
      refId = n.id;
    } else if (ref !== image) {
      throw new Error(`convergence: node ${n.id} ${image} differs from node ${refId} ${ref}`);
    }
  }
}

/** Random faults of the safety phase. */
class Faults {
  #pausedUntil = new Map<number, number>();
  /** Per-seed fault intensity: scales how often partitions, crashes and changes happen. */
  readonly k: number;
  constructor(readonly c: Cluster, readonly w: Workload) {
    this.k = [0.5, 1, 2, 4][c.prng.int(4)] ?? 1;
  }

  async step(): Promise<void> {
    const c = this.c;
    const p = c.prng;
    const ids = [...c.nodes.keys()];
    const pick = (): number => ids[p.int(ids.length)] ?? 1;
    if (p.chance(0.01 * this.k)) this.#partition(ids);
    if (p.chance(0.015)) c.net.heal();
    const down = ids.filter((id) => !c.isUp(id));
    if (p.chance(0.006 * this.k) && down.length < Math.floor((ids.length - 1) / 2) + 1) {
      const id = pick();
      if (c.isUp(id)) c.crash(id, p.chance(0.5) ? "tear" : "lose");
    }
    if (down.length > 0 && p.chance(0.04)) {
      const id = down[p.int(down.length)] ?? 1;
      await c.start(id);
      c.stats.restarts++;
      this.w.attach(c.get(id));
    }
    if (p.chance(0.004 * this.k)) {
      const id = pick();
      if (c.isUp(id) && !c.get(id).paused) {
        c.pause(id);
        this.#pausedUntil.set(id, c.ticks + p.range(5, 4 * ELECTION_TICKS));
      }
    }
    for (const [id, until] of this.#pausedUntil) {
      if (c.ticks >= until) {
        this.#pausedUntil.delete(id);
        if (c.isUp(id)) await c.resume(id);
      }
    }
    if (p.chance(0.005 * this.k)) this.#transfer(pick());
    if (p.chance(0.006 * this.k)) this.#membership();
    if (p.chance(0.02)) this.#leaveJoint();
  }

  #partition(ids: number[]): void {
    const c = this.c;
    const p = c.prng;
    const kind = p.int(3);
    if (kind === 0) {
      const id = ids[p.int(ids.length)] ?? 1;
      c.net.partition([[String(id)], ids.filter((x) => x !== id).map(String)]);
    } else if (kind === 1) {
      const a = ids.filter(() => p.chance(0.5)).map(String);
      const b = ids.map(String).filter((x) => !a.includes(x));
      c.net.partition([a, b]);
    } else {
      // Asymmetric: some links fail in one direction only.
      for (const x of ids) {
        for (const y of ids) if (x !== y && p.chance(0.25)) c.net.cut(String(x), String(y));
      }
    }
  }

  #transfer(to: number): void {
    const leader = this.c.leader();
    leader?.node?.rawNode.transferLeader(to);
  }

  /**
   * Cycles membership: remove a voter, re-add it as a learner, promote it —
   * sometimes promoting one node and removing another in one joint change.
   */
  #membership(): void {
    const c = this.c;
    const rn = c.leader()?.node?.rawNode;
    if (rn === undefined) return;
    const cs = rn.status().confState;
    if (cs.votersOutgoing.length > 0) return;
    const all = [...c.nodes.keys()];
    const learner = cs.learners[0];
    const outsider = all.find((id) => !cs.voters.includes(id) && !cs.learners.includes(id));
    const victim = cs.voters[c.prng.int(cs.voters.length)] ?? 1;
    const changes: ConfChangeSingle[] = [];
    if (learner !== undefined) {
      changes.push({ type: ConfChangeType.AddNode, nodeId: learner });
      // A swap needs joint consensus: two voters change at once.
      if (cs.voters.length >= 3 && c.prng.chance(0.5)) {
        changes.push({ type: ConfChangeType.RemoveNode, nodeId: victim });
      }
    } else if (outsider !== undefined) {
      changes.push({ type: ConfChangeType.AddLearner, nodeId: outsider });
    } else if (cs.voters.length >= 3) {
      // Remove the victim, or demote it to a learner (through learners_next when joint).
      const type = c.prng.chance(0.3) ? ConfChangeType.AddLearner : ConfChangeType.RemoveNode;
      changes.push({ type, nodeId: victim });
    } else {
      return;
    }
    const transition = c.prng.int(3);
    const res = rn.proposeConfChange({
      transition: transition === 2
        ? ConfChangeTransition.JointExplicit
        : transition === 1
        ? ConfChangeTransition.JointImplicit
        : ConfChangeTransition.Auto,
      changes,
    });
    if (res.ok) c.stats.confChanges++;
  }

  /** Leaves an explicit joint configuration some time after entering it. */
  #leaveJoint(): void {
    const rn = this.c.leader()?.node?.rawNode;
    if (rn === undefined) return;
    const cs = rn.status().confState;
    if (cs.votersOutgoing.length === 0 || cs.autoLeave) return;
    rn.proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [] });
  }
}

export function describeOptions(o: ClusterOptions): string {
  return `nodes=${o.nodes} prevote=${o.preVote} checkquorum=${o.checkQuorum} lease=${o.lease} ` +
    `snapshotEvery=${o.snapshotEvery} maxMsgBytes=${o.maxMsgBytes} maxInflight=${o.maxInflight}`;
}

export { StateType, utf8 };
