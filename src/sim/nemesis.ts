/**
 * The fault phase's adversary: at random times it picks an enabled fault
 * kind and a target, injects the fault, holds it for a random while and undoes
 * it. Targets that another fault holds are left alone, and at most one network
 * fault (partition, cut) is active at a time because healing the network heals
 * every link. Whatever is still broken when the phase ends, the heal phase
 * repairs (heal.ts). Every choice comes from the seed's PRNG.
 */
import type { Prng } from "../util/prng.ts";
import { errorMessage } from "../util/errors.ts";
import { type FaultCounts, type FaultKind, zeroCounts } from "./fault_kinds.ts";
import { corruptStoredFile } from "./corruption.ts";
import { wholeAndCaughtUp } from "./heal.ts";
import { wipeAndRejoin } from "./membership_ops.ts";
import { placementWhole } from "./placement_check.ts";
import { regionsWhole } from "./region_final.ts";
import { regionsSurviveOneLoss } from "./region_quorum.ts";
import type { Roster } from "./roster.ts";
import type { SimCluster } from "./sim_cluster.ts";
import type { SimNode } from "./sim_node.ts";

/** How often a crash takes down every node at once instead of one. */
const OUTAGE_CHANCE = 0.25;

export interface NemesisOptions {
  readonly kinds: readonly FaultKind[];
  /** Mean pause between two faults (virtual ms). */
  readonly meanGapMs: number;
  /** Longest time a fault is held. */
  readonly maxHoldMs: number;
  /** Faults active at once. */
  readonly maxActive: number;
  /** The clients' hosts, for resets between a client and a node. */
  readonly clientHosts: readonly string[];
}

export class Nemesis {
  readonly counts: FaultCounts = zeroCounts();
  readonly #busy = new Set<string>();
  readonly #active: Promise<void>[] = [];

  constructor(
    readonly c: SimCluster,
    readonly roster: Roster,
    readonly prng: Prng,
    readonly o: NemesisOptions,
  ) {}

  /** Injects faults until `untilMs` (virtual), then waits for the held ones to be undone. */
  async run(untilMs: number): Promise<void> {
    while (this.o.kinds.length > 0 && this.c.clock.nowMs() < untilMs) {
      await this.c.sleep(1 + this.prng.int(2 * this.o.meanGapMs));
      if (this.c.clock.nowMs() >= untilMs) break;
      if (this.#busy.size >= this.o.maxActive) continue;
      const kind = this.o.kinds[this.prng.int(this.o.kinds.length)];
      const fault = this.#inject(kind).catch((err) => {
        this.c.note(`nemesis ${kind} error: ${errorMessage(err)}`);
      });
      this.#active.push(fault);
    }
    await Promise.all(this.#active);
  }

  #hold(): Promise<void> {
    return this.c.sleep(50 + this.prng.int(this.o.maxHoldMs));
  }

  /**
   * Whether one more node may lose or damage its data. A majority with bad
   * data cannot be repaired by any procedure (nothing is left to rebuild
   * from), so at most a minority is ever out of the membership or awaiting a
   * rebuild. The same holds for the placement group (region 0: every voter holds it) and for
   * every other region (all its replicas voters, none missing).
   */
  #mayDamage(): boolean {
    const damaged = this.c.nodes.filter((n) => !this.roster.isMember(n.id)).length;
    if (damaged + 1 > Math.floor((this.c.nodes.length - 1) / 2)) return false;
    // A membership change still in its joint configuration needs the old majority too: losing
    // a node's data then can leave no quorum to remove it with (docs/membership.md, Refusals).
    const lead = this.c.leaderStatus();
    return lead !== undefined && lead.lastIndex === lead.commitIndex &&
      wholeAndCaughtUp(this.c, this.roster) && placementWhole(this.c) && regionsWhole(this.c) &&
      regionsSurviveOneLoss(this.c);
  }

  /** A member node no other fault holds, or undefined. */
  #pickNode(running: boolean): SimNode | undefined {
    const free = this.c.nodes.filter((n) =>
      !this.#busy.has(n.name) && this.roster.isMember(n.id) && (!running || n.state === "running")
    );
    return free.length === 0 ? undefined : free[this.prng.int(free.length)];
  }

  async #withNode(
    kind: FaultKind,
    running: boolean,
    fn: (n: SimNode) => Promise<void>,
  ): Promise<void> {
    const destructive = kind === "corrupt-file" || kind === "wipe-rejoin" || kind === "membership";
    if (destructive && !this.#mayDamage()) return;
    const node = this.#pickNode(running);
    if (node === undefined) return;
    if (destructive) this.roster.needsRebuild(node.id);
    this.#busy.add(node.name);
    this.counts[kind]++;
    this.c.note(`fault ${kind} ${node.name}`);
    try {
      await fn(node);
    } finally {
      this.#busy.delete(node.name);
    }
  }

  async #withNetwork(kind: FaultKind, fn: () => Promise<void>): Promise<void> {
    if (this.#busy.has("net")) return;
    this.#busy.add("net");
    this.counts[kind]++;
    try {
      await fn();
    } finally {
      this.#busy.delete("net");
    }
  }

  #inject(kind: FaultKind): Promise<void> {
    switch (kind) {
      case "crash-lose":
      case "crash-tear":
        if (this.prng.chance(OUTAGE_CHANCE)) return this.#outage(kind);
        return this.#withNode(kind, false, async (n) => {
          n.crash(kind === "crash-lose" ? "lose" : "tear");
          await this.#hold();
          await this.#restart(n);
        });
      case "restart":
        return this.#withNode(kind, true, async (n) => {
          await n.stop();
          await this.c.sleep(this.prng.int(200));
          await this.#restart(n);
        });
      case "pause":
        return this.#withNode(kind, true, async (n) => {
          n.pause();
          await this.#hold();
          n.resume();
        });
      case "disk-full":
        return this.#withNode(kind, true, async (n) => {
          n.disk.setCapacity(n.disk.usedBytes() + this.prng.int(8192));
          await this.#hold();
          n.disk.setCapacity(undefined);
        });
      case "corrupt-file":
        return this.#withNode(kind, true, (n) => this.#corrupt(n));
      case "wipe-rejoin":
        return this.#withNode(kind, false, (n) => this.#wipe(n, true));
      case "membership":
        return this.#withNode(kind, true, (n) => this.#wipe(n, false));
      default:
        return this.#injectNetwork(kind);
    }
  }

  /**
   * A power outage: every node no other fault holds loses power at the same
   * instant. Whatever a majority acknowledged must have been on its disks,
   * so no acknowledged write may be lost (docs/raft.md, the Ready contract).
   */
  async #outage(kind: "crash-lose" | "crash-tear"): Promise<void> {
    const nodes = this.c.nodes.filter((n) => !this.#busy.has(n.name) && n.state !== "down");
    if (nodes.length === 0) return;
    for (const n of nodes) this.#busy.add(n.name);
    this.counts[kind]++;
    this.c.note(`fault ${kind} outage ${nodes.map((n) => n.name).join(",")}`);
    try {
      for (const n of nodes) n.crash(kind === "crash-lose" ? "lose" : "tear");
      await this.#hold();
      for (const n of nodes) await this.#restart(n);
    } finally {
      for (const n of nodes) this.#busy.delete(n.name);
    }
  }

  async #restart(n: SimNode): Promise<void> {
    try {
      await n.start();
    } catch (err) {
      this.c.note(`${n.name} restart failed: ${errorMessage(err)}`);
    }
  }

  async #corrupt(n: SimNode): Promise<void> {
    await n.stop();
    const where = corruptStoredFile(n.disk, this.prng);
    this.c.note(`${n.name} corrupted ${where ?? "(no stored file)"}`);
    await this.#restart(n);
    await this.#hold();
    // The data cannot be trusted any more: the operator's answer is a rebuild.
    if (await wipeAndRejoin(this.c, n) === "rejoined") this.roster.rejoined(n.id);
  }

  /**
   * wipe-rejoin: a crash that loses the disk, then either the rebuild that
   * keeps the node a member or the remove-wipe-join-add procedure;
   * membership: a live node removed by a client, wiped and added back.
   */
  async #wipe(n: SimNode, crash: boolean): Promise<void> {
    if (crash) n.crash("lose");
    await this.#hold();
    if (crash && this.prng.chance(0.5) && await this.#rebuildInPlace(n)) {
      this.roster.rejoined(n.id);
      return;
    }
    const result = await wipeAndRejoin(this.c, n);
    if (result === "rejoined") this.roster.rejoined(n.id);
    else if (result === "removed") this.roster.joining(n.id);
  }

  /**
   * The rebuild of docs/operations-disk.md: everything but IDENTITY deleted,
   * the node restarted as it was; it does not vote until it has caught up. A
   * leader that knew the node keeps probing it where it was, so after a while
   * leadership moves once, as the doc says. False if it did not catch up.
   */
  async #rebuildInPlace(n: SimNode): Promise<boolean> {
    await n.replaceDisk(true);
    try {
      await n.start();
    } catch (err) {
      this.c.note(`${n.name} rebuild start failed: ${errorMessage(err)}`);
      return false;
    }
    if (await this.c.waitFor(() => !n.rebuilding(), 3000)) return n.state === "running";
    const lead = this.c.leaderStatus();
    const other = this.c.nodes.find((m) => m.id !== n.id && m.id !== lead?.id && m.server);
    if (other !== undefined) {
      await this.c.admin((a) => a.transferLeader(other.id)).catch((err) => {
        this.c.note(`transfer to ${other.name} failed: ${errorMessage(err)}`);
      });
    }
    return await this.c.waitFor(() => !n.rebuilding(), 5000) && n.state === "running";
  }

  #injectNetwork(kind: FaultKind): Promise<void> {
    const names = this.c.nodes.map((n) => n.name);
    switch (kind) {
      case "partition":
        return this.#withNetwork(kind, async () => {
          const order = this.#shuffle(names);
          const cut = 1 + this.prng.int(Math.max(1, Math.floor(names.length / 2)));
          this.c.net.partition([order.slice(0, cut), order.slice(cut)]);
          this.c.note(`fault partition ${order.slice(0, cut)} | ${order.slice(cut)}`);
          await this.#hold();
          this.c.net.heal();
        });
      case "one-way-cut":
        return this.#withNetwork(kind, async () => {
          const [from, to] = this.#shuffle(names);
          this.c.net.cut(from, to);
          this.c.note(`fault one-way-cut ${from}>${to}`);
          await this.#hold();
          this.c.net.heal();
        });
      case "conn-reset": {
        // Half the resets cut a client off a node: it must retry (or learn the outcome) elsewhere.
        const clients = this.o.clientHosts;
        const [a, b] = clients.length > 0 && this.prng.chance(0.5)
          ? [clients[this.prng.int(clients.length)], names[this.prng.int(names.length)]]
          : this.#shuffle(names);
        const resets = this.c.net.reset(a, b);
        this.counts[kind]++;
        this.c.note(`fault conn-reset ${a}-${b} (${resets} connections)`);
        return Promise.resolve();
      }
      default:
        throw new Error(`unhandled fault kind ${kind}`);
    }
  }

  #shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.prng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
