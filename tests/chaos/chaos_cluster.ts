/**
 * Real ./tinykv processes whose peer links each go through a LinkProxy, plus
 * the process faults (kill -9, restart, SIGSTOP/SIGCONT) and network faults
 * (partitions, one-way cuts, slow and lossy links) the chaos suite injects.
 *
 * Node i's `--peers` lists its own real address and, for every other node j,
 * the port of proxy(i→j). Clients are outside the faulty network: they dial
 * nodes' real ports, and `clientNet` rewrites a proxy address a node hands out
 * in a NOT_LEADER redirect to the real port of the node it stands for.
 */
import { getPlatform } from "../../src/platform/detect.ts";
import type { Conn, Net } from "../../src/platform/types.ts";
import { BinaryCluster } from "../e2e/binary_cluster.ts";
import { type LinkFault, LinkProxy } from "./link_proxy.ts";

export interface NodeStatus {
  readonly role: string;
  readonly leader: number | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex?: number;
}

export class ChaosCluster {
  /** proxy(from→to) under the key `${from}>${to}`. */
  readonly links = new Map<string, LinkProxy>();
  readonly paused = new Set<number>();
  readonly #realPortOfProxy = new Map<number, number>();

  private constructor(readonly bin: BinaryCluster, readonly ids: readonly number[]) {}

  /** Starts `size` nodes wired through proxies; `random` drives jitter and loss. */
  static async start(
    size: number,
    extraArgs: string[],
    random: () => number,
  ): Promise<ChaosCluster> {
    const bin = await BinaryCluster.allocate(size, extraArgs);
    const ids = [...bin.nodes.keys()];
    const c = new ChaosCluster(bin, ids);
    try {
      for (const from of ids) {
        const parts: string[] = [];
        for (const to of ids) {
          const target = bin.nodes.get(to)!.kvPort;
          if (from === to) {
            parts.push(`${to}=127.0.0.1:${target}`);
            continue;
          }
          const proxy = await LinkProxy.start(target, random);
          c.links.set(`${from}>${to}`, proxy);
          c.#realPortOfProxy.set(proxy.port, target);
          parts.push(`${to}=127.0.0.1:${proxy.port}`);
        }
        bin.peersFlagOf.set(from, parts.join(","));
      }
      for (const id of ids) bin.spawn(id);
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** The nodes' real protobuf addresses, for clients. */
  get endpoints(): string[] {
    return this.ids.map((id) => `127.0.0.1:${this.bin.nodes.get(id)!.kvPort}`);
  }

  /** A Net for clients: dials the real port behind any proxy address. */
  get clientNet(): Net {
    const base = getPlatform().net;
    const real = this.#realPortOfProxy;
    return {
      listen: (options, onConn) => base.listen(options, onConn),
      connect: (host: string, port: number): Promise<Conn> =>
        base.connect(host, real.get(port) ?? port),
    };
  }

  /** Started and not exited (a node that exited on its own counts as down). */
  running(id: number): boolean {
    const proc = this.bin.nodes.get(id)?.proc;
    return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  }

  /** Running and not paused: the nodes that can answer. */
  live(): number[] {
    return this.ids.filter((id) => this.running(id) && !this.paused.has(id));
  }

  // ---- process faults

  async kill(id: number): Promise<void> {
    if (this.paused.has(id)) this.resume(id);
    await this.bin.kill(id, "SIGKILL");
  }

  restart(id: number): void {
    if (!this.running(id)) this.bin.spawn(id);
  }

  pause(id: number): void {
    if (!this.running(id) || this.paused.has(id)) return;
    this.bin.pause(id, true);
    this.paused.add(id);
  }

  resume(id: number): void {
    if (!this.paused.delete(id)) return;
    this.bin.pause(id, false);
  }

  // ---- network faults

  link(from: number, to: number): LinkProxy {
    const l = this.links.get(`${from}>${to}`);
    if (l === undefined) throw new Error(`no link ${from}>${to}`);
    return l;
  }

  /** Cuts every link between nodes of different groups (both directions). */
  partition(groups: readonly (readonly number[])[]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const from of this.ids) {
      for (const to of this.ids) {
        if (from !== to && groupOf.get(from) !== groupOf.get(to)) {
          this.link(from, to).set({ down: true });
        }
      }
    }
  }

  /** Applies `fault` to every link. */
  allLinks(fault: Partial<LinkFault>): void {
    for (const l of this.links.values()) l.set(fault);
  }

  healNetwork(): void {
    for (const l of this.links.values()) l.heal();
  }

  /** Heals the network, resumes paused nodes and restarts dead ones. */
  healAll(): void {
    this.healNetwork();
    for (const id of [...this.paused]) this.resume(id);
    for (const id of this.ids) this.restart(id);
  }

  // ---- observation

  async statuses(timeoutMs = 1000): Promise<Map<number, NodeStatus>> {
    const out = new Map<number, NodeStatus>();
    await Promise.all(
      this.live().map(async (id) => {
        const s = await this.bin.status(id, timeoutMs);
        if (s !== undefined) out.set(id, s);
      }),
    );
    return out;
  }

  /**
   * The leader a majority of the live nodes can see: the highest-term node
   * calling itself leader that a majority of the cluster follows (a deposed
   * leader behind a partition may still call itself leader for a while).
   */
  async leader(): Promise<{ id: number; term: number } | undefined> {
    const st = await this.statuses();
    let best: { id: number; term: number } | undefined;
    for (const [id, s] of st) {
      if (s.role !== "leader") continue;
      const followers = [...st.values()].filter((o) => o.leader === id && o.term === s.term);
      if (followers.length < Math.floor(this.ids.length / 2) + 1) continue;
      if (best === undefined || s.term > best.term) best = { id, term: s.term };
    }
    return best;
  }

  /** Polls `leader()` until it satisfies `accept` or `timeoutMs` passes. */
  async waitLeader(
    timeoutMs: number,
    accept: (l: { id: number; term: number }) => boolean = () => true,
  ): Promise<{ id: number; term: number } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const l = await this.leader();
      if (l !== undefined && accept(l)) return l;
      await new Promise((r) => setTimeout(r, 25));
    }
    return undefined;
  }

  async stop(): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    await this.bin.stop();
    await Promise.all([...this.links.values()].map((l) => l.close()));
  }
}
