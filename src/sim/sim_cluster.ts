/**
 * The simulated cluster: the nodes, the network between them and the clients,
 * an admin client for membership changes (the real client library, like an
 * operator's `tinykv member …`), and waits on virtual time.
 */
import { TinyKvClient } from "../client/tinykv_client.ts";
import { PLACEMENT_DEFAULTS } from "../server/placement/placement_options.ts";
import type { SimClock } from "../platform/sim/sim_clock.ts";
import type { SimNet } from "../platform/sim/sim_net.ts";
import type { SimTrace } from "../platform/sim/sim_trace.ts";
import type { NodeStatus } from "../server/node/status_types.ts";
import type { Prng } from "../util/prng.ts";
import { HttpHandlers } from "./incarnation_platform.ts";
import { kvAddress, respAddress, SimNode, type SimTiming } from "./sim_node.ts";

export interface SimClusterOptions {
  readonly clock: SimClock;
  readonly net: SimNet;
  readonly trace: SimTrace;
  readonly prng: Prng;
  readonly nodes: number;
  readonly timing: SimTiming;
}

export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly http = new HttpHandlers();
  readonly clock: SimClock;
  readonly net: SimNet;
  readonly trace: SimTrace;

  constructor(readonly o: SimClusterOptions) {
    this.clock = o.clock;
    this.net = o.net;
    this.trace = o.trace;
    const ids = Array.from({ length: o.nodes }, (_, i) => i + 1);
    const peers = new Map(ids.map((id) => [id, kvAddress(id)]));
    for (const id of ids) {
      this.nodes.push(
        new SimNode(id, {
          clock: o.clock,
          net: o.net,
          http: this.http,
          trace: o.trace,
          prng: o.prng.fork(),
          timing: o.timing,
          peers,
        }),
      );
    }
  }

  /**
   * The voters region 1 keeps (docs/regions.md "Region 1's voters"): on nodes that split, the
   * default `--replicas`, the other members learners; undefined: every member votes.
   */
  get firstRegionVoters(): number | undefined {
    return this.o.timing.regionSplitBytes > 0 ? PLACEMENT_DEFAULTS.replicas : undefined;
  }

  /** How many of region 1's members vote when the cluster is whole. */
  get wholeVoters(): number {
    return Math.min(this.firstRegionVoters ?? this.nodes.length, this.nodes.length);
  }

  get ids(): number[] {
    return this.nodes.map((n) => n.id);
  }

  node(id: number): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  kvEndpoints(): string[] {
    return this.ids.map(kvAddress);
  }

  respEndpoints(): string[] {
    return this.ids.map(respAddress);
  }

  /**
   * Runs one admin call through a client whose endpoints are the nodes that
   * serve (as an operator would pick them): a faulty node answers admin
   * requests with INVALID_ARGUMENT, which the client does not retry elsewhere.
   */
  async admin<T>(call: (client: TinyKvClient) => Promise<T>): Promise<T> {
    const serving = this.nodes.filter((n) => n.state === "running").map((n) => kvAddress(n.id));
    const client = new TinyKvClient({
      endpoints: serving.length > 0 ? serving : this.kvEndpoints(),
      net: this.net.host("admin"),
      clock: this.clock,
      seed: this.o.prng.int(0x7fff_ffff),
      deadlineMs: 8000,
      attemptTimeoutMs: 1000,
    });
    try {
      return await call(client);
    } finally {
      client.close();
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  /** Polls `done` every `stepMs` of virtual time; false if it did not hold within `ms`. */
  async waitFor(done: () => boolean, ms: number, stepMs = 20): Promise<boolean> {
    const until = this.clock.nowMs() + ms;
    while (!done()) {
      if (this.clock.nowMs() >= until) return false;
      await this.sleep(stepMs);
    }
    return true;
  }

  /** The status of the node that is leader in the highest term, if any is running. */
  leaderStatus(): NodeStatus | undefined {
    let best: NodeStatus | undefined;
    for (const n of this.nodes) {
      if (n.paused) continue;
      const s = n.server?.node.status();
      if (s?.role === "leader" && (best === undefined || s.term > best.term)) best = s;
    }
    return best;
  }

  note(event: string): void {
    this.trace.record(this.clock.nowMs(), event);
  }
}
