/**
 * The faults the chaos suite injects, each applied for a while and then
 * healed. Choices inside a fault (which follower, where to split) come from a
 * seeded PRNG, so a seed and a list of kinds reproduce a schedule (timing on a
 * real machine still varies).
 */
import type { Prng } from "../../src/util/prng.ts";
import type { ChaosCluster } from "./chaos_cluster.ts";

export const FAULT_KINDS = [
  "kill-leader",
  "kill-follower",
  "kill-majority",
  "pause-leader",
  "pause-follower",
  "partition-leader",
  "partition-split",
  "partition-bridge",
  "one-way-leader",
  "slow",
  "lossy",
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

/** Faults that take the leader away: failover is timed for these. */
const LEADER_FAULTS: ReadonlySet<FaultKind> = new Set([
  "kill-leader",
  "pause-leader",
  "partition-leader",
  "one-way-leader",
]);

export interface FaultRecord {
  readonly kind: FaultKind;
  detail: string;
  /** ms since the run started. */
  readonly at: number;
  healedAt: number;
  /** Leader faults: ms from the fault to a different leader a majority follows. */
  failoverMs?: number;
  oldLeader?: number;
}

function shuffle<T>(prng: Prng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Nemesis {
  readonly records: FaultRecord[] = [];

  constructor(
    readonly cluster: ChaosCluster,
    readonly prng: Prng,
    readonly now: () => number,
    /** When set, gets every node's status and every link's traffic during faults. */
    readonly trace?: (line: string) => void,
  ) {}

  async #traceWhile(done: () => boolean): Promise<void> {
    const c = this.cluster;
    for (let i = 0; i < 10_000 && !done(); i++) {
      const st = await c.statuses(300);
      const nodes = [...st].sort((a, b) => a[0] - b[0]).map(([id, s]) =>
        `${id}:${s.role[0]}${s.term}/L${s.leader ?? "-"}/c${s.commitIndex}/i${s.lastIndex ?? "?"}`
      );
      const links = [...c.links].map(([k, l]) => `${k}=${l.bytes}b/${l.connections}c`);
      this.trace?.(`  ${(this.now() / 1000).toFixed(1)} s ${nodes.join(" ")} | ${links.join(" ")}`);
      await sleep(300);
    }
  }

  /** Injects `kind` for `durationMs`, heals, and waits (bounded) for a leader again. */
  async run(kind: FaultKind, durationMs: number): Promise<FaultRecord> {
    const c = this.cluster;
    const before = await c.waitLeader(10_000);
    const leader = before?.id ?? c.ids[0];
    const others = shuffle(this.prng, c.ids.filter((id) => id !== leader));
    const rec: FaultRecord = { kind, detail: "", at: this.now(), healedAt: 0 };
    rec.detail = await this.#inject(kind, leader, others);
    let faultDone = false;
    const tracing = this.trace === undefined ? undefined : this.#traceWhile(() => faultDone);
    if (LEADER_FAULTS.has(kind) && before !== undefined) {
      rec.oldLeader = leader;
      const next = await c.waitLeader(durationMs, (l) => l.id !== leader && l.term > before.term);
      if (next !== undefined) rec.failoverMs = this.now() - rec.at;
    }
    const left = rec.at + durationMs - this.now();
    if (left > 0) await sleep(left);
    await this.#heal(kind);
    rec.healedAt = this.now();
    faultDone = true;
    await tracing;
    this.records.push(rec);
    await c.waitLeader(15_000);
    return rec;
  }

  async #inject(kind: FaultKind, leader: number, others: number[]): Promise<string> {
    const c = this.cluster;
    const n = c.ids.length;
    const minority = Math.floor((n - 1) / 2);
    switch (kind) {
      case "kill-leader":
        await c.kill(leader);
        return `killed ${leader}`;
      case "kill-follower":
        await c.kill(others[0]);
        return `killed ${others[0]}`;
      case "kill-majority": {
        const victims = [leader, ...others].slice(0, minority + 1);
        for (const id of victims) await c.kill(id);
        return `killed ${victims.join(",")}`;
      }
      case "pause-leader":
        c.pause(leader);
        return `paused ${leader}`;
      case "pause-follower":
        c.pause(others[0]);
        return `paused ${others[0]}`;
      case "partition-leader":
        c.partition([[leader], others]);
        return `isolated ${leader}`;
      case "partition-split": {
        // The leader lands on the minority or the majority side at random.
        const all = shuffle(this.prng, c.ids);
        const small = all.slice(0, minority);
        const big = all.slice(minority);
        c.partition([small, big]);
        return `${small.join(",")} | ${big.join(",")}`;
      }
      case "partition-bridge": {
        // The bridge sees both halves; the halves do not see each other.
        const [bridge, ...rest] = this.prng.chance(0.5) ? [leader, ...others] : others;
        const rest2 = rest.concat(bridge === leader ? [] : [leader]);
        const half = Math.ceil(rest2.length / 2);
        const a = rest2.slice(0, half);
        const b = rest2.slice(half);
        for (const x of a) {
          for (const y of b) {
            c.link(x, y).set({ down: true });
            c.link(y, x).set({ down: true });
          }
        }
        return `${a.join(",")} | ${b.join(",")} bridged by ${bridge}`;
      }
      case "one-way-leader":
        // The leader hears everyone but its own messages are lost.
        for (const o of others) c.link(leader, o).set({ down: true });
        return `${leader} → others cut`;
      case "slow":
        c.allLinks({ delayMs: 40, jitterMs: 80 });
        return "all links +40..120 ms";
      case "lossy":
        c.allLinks({ resetChance: 0.05, delayMs: 5, jitterMs: 10 });
        return "all links reset 5% of chunks";
    }
  }

  async #heal(kind: FaultKind): Promise<void> {
    const c = this.cluster;
    if (kind.startsWith("kill")) {
      for (const id of c.ids) c.restart(id);
    } else if (kind.startsWith("pause")) {
      for (const id of [...c.paused]) c.resume(id);
    } else {
      c.healNetwork();
    }
    await Promise.resolve();
  }
}
