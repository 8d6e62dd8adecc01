/**
 * Simulated clients: each has at most one operation in flight against some
 * node (usually the leader). Puts complete when the node they were sent to
 * applies them (docs/design.md §2.1); gets use ReadIndex and complete once the node
 * has applied up to the read index. The history feeds the linearizability
 * checker; time is a global event counter, so real-time order is exact.
 */
import { toHex, utf8 } from "../../src/util/bytes.ts";
import type { Op } from "../../src/sim/linearizability.ts";
import type { Cluster, SimNode } from "./cluster.ts";
import { ELECTION_TICKS } from "./cluster.ts";
import { encodePut, type PutCommand } from "./kv_model.ts";

interface Pending {
  readonly kind: "put" | "get";
  readonly node: number;
  readonly key: string;
  readonly value: string;
  readonly seq: number;
  readonly call: number;
  readonly startTick: number;
  readonly ctx: string;
  readIndex: number | undefined;
}

const KEYS = ["a", "b", "c"];
const TIMEOUT_TICKS = 8 * ELECTION_TICKS;

export class Workload {
  readonly history: Op[] = [];
  readonly #pending = new Map<number, Pending>();
  #clock = 0;
  #seq = 0;
  completed = 0;

  constructor(readonly cluster: Cluster, readonly clients: number) {}

  /** Hooks a (re)started node's state machine so clients see its applies. */
  attach(n: SimNode): void {
    n.sm.onPut = (cmd: PutCommand) => this.#onPut(n.id, cmd);
  }

  #now(): number {
    return ++this.#clock;
  }

  #onPut(node: number, cmd: PutCommand): void {
    const p = this.#pending.get(cmd.client);
    if (p === undefined || p.kind !== "put" || p.seq !== cmd.seq || p.node !== node) return;
    this.history.push({ kind: "put", key: p.key, value: p.value, call: p.call, ret: this.#now() });
    this.#pending.delete(cmd.client);
    this.completed++;
  }

  /** One step: maybe start operations, finish reads, time out stuck ones. */
  step(): void {
    const c = this.cluster;
    for (let client = 1; client <= this.clients; client++) {
      const p = this.#pending.get(client);
      if (p === undefined) {
        if (c.prng.chance(0.3)) this.#start(client);
        continue;
      }
      if (p.kind === "get") this.#progressRead(client, p);
      if (this.#pending.has(client) && c.ticks - p.startTick > TIMEOUT_TICKS) {
        this.#timeout(client, p);
      }
    }
  }

  #pickNode(): SimNode | undefined {
    const c = this.cluster;
    const leader = c.leader();
    if (leader !== undefined && c.prng.chance(0.7)) return leader; // leader() skips paused nodes
    // A paused process takes no requests until it resumes (and catches up on ticks).
    const up = [...c.nodes.values()].filter((n) => n.node !== undefined && !n.paused);
    return up.length === 0 ? undefined : up[c.prng.int(up.length)];
  }

  #start(client: number): void {
    const n = this.#pickNode();
    const rn = n?.node?.rawNode;
    if (n === undefined || rn === undefined) return;
    const key = KEYS[this.cluster.prng.int(KEYS.length)] ?? "a";
    const seq = ++this.#seq;
    const call = this.#now();
    const base = {
      node: n.id,
      key,
      seq,
      call,
      startTick: this.cluster.ticks,
      readIndex: undefined,
    };
    if (this.cluster.prng.chance(0.5)) {
      const value = `v${seq}`;
      const res = rn.propose(encodePut({ client, seq, key, value }));
      if (!res.ok) return; // refused: it never entered the log, so it has no effect
      this.#pending.set(client, { ...base, kind: "put", value, ctx: "" });
    } else {
      const ctx = utf8(`${n.id}/${client}/${seq}`);
      const res = rn.readIndex(ctx);
      if (!res.ok) return;
      this.#pending.set(client, { ...base, kind: "get", value: "", ctx: toHex(ctx) });
    }
  }

  #progressRead(client: number, p: Pending): void {
    const n = this.cluster.get(p.node);
    if (n.node === undefined || n.paused) return;
    if (p.readIndex === undefined) {
      const rs = n.readStates.find((r) => toHex(r.context) === p.ctx);
      if (rs === undefined) return;
      p.readIndex = rs.index;
    }
    if (n.sm.applied < p.readIndex) return;
    const value = n.sm.data.get(p.key) ?? "";
    this.history.push({ kind: "get", key: p.key, value, call: p.call, ret: this.#now() });
    this.#pending.delete(client);
    this.completed++;
  }

  #timeout(client: number, p: Pending): void {
    // A put may still take effect later: its outcome is unknown. A get has no effect.
    if (p.kind === "put") {
      this.history.push({ kind: "put", key: p.key, value: p.value, call: p.call, ret: Infinity });
    }
    this.#pending.delete(client);
  }

  /** Ends the run: outstanding puts have unknown outcomes. */
  finish(): void {
    for (const [client, p] of this.#pending) this.#timeout(client, p);
  }
}
