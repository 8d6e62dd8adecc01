/**
 * The multi-region driver (src/raft/multi/): three drivers in one process
 * joined by an in-memory network that delivers at once.
 *
 * - Idle cost: N idle regions replicated on all three nodes (leaders spread),
 *   ticked as fast as the CPU allows; CPU time per tick, scaled to the
 *   server's tick rate (20 ms ticks, heartbeat 5, election 50), is the CPU a
 *   node spends per second of wall time on idle regions, with and without
 *   quiescence (the log is on a simulated file system: idle rounds write
 *   nothing once quiet).
 * - Write throughput: 1, 10 and 100 active regions on the real file system
 *   (three log directories), each region keeping WINDOW proposals in flight;
 *   entries committed and applied per second, rounds and fsyncs per second,
 *   CPU per entry. The three nodes share one thread. Two ways of running
 *   them: in turn (each node's `runOnce` awaited before the next's, batches
 *   delivered between), and concurrently (each node runs whenever a batch
 *   reaches it, as a server's loop does, so a follower's acknowledgement can
 *   reach a leader while the leader's own fsync runs).
 *
 *   bun bench/multi_raft_bench.ts [--seconds 3] [--idle 1000,10000] [--active 1,10,100]
 *     [--modes turns,concurrent]
 *   deno run -A bench/multi_raft_bench.ts
 *
 * Results with the machine described go to bench/RESULTS.md.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { getPlatform } from "../src/platform/detect.ts";
import { createSimWorld } from "../src/platform/sim/sim_world.ts";
import type { FileSystem } from "../src/platform/types.ts";
import type { Entry, Snapshot } from "../src/raft/core/messages.ts";
import { MultiRaftDriver } from "../src/raft/multi/driver.ts";
import type { NodeBatch } from "../src/raft/multi/transport.ts";
import { MultiLogStore } from "../src/raft/multi_log_store.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    idle: { type: "string", default: "1000,10000" },
    active: { type: "string", default: "1,10,100" },
    window: { type: "string", default: "32" },
    modes: { type: "string", default: "turns,concurrent" },
  },
});
const SECONDS = Number(values.seconds);
const WINDOW = Number(values.window);
const TICK_MS = 20;
const RAFT = { electionTicks: 50, heartbeatTicks: 5, preVote: true };
const DATA = new Uint8Array(64).fill(7);

class CountSm {
  applied = 0;
  apply(entries: readonly Entry[]): void {
    for (const e of entries) if (e.data.length > 0) this.applied++;
  }
  restore(_s: Snapshot): void {}
}

interface Cluster {
  drivers: MultiRaftDriver[];
  logs: MultiLogStore[];
  sms: Map<number, CountSm>[];
  pump(): Promise<void>;
}

/**
 * Runs each node whenever a batch reaches it (one `runOnce` at a time per
 * node, again if kicked meanwhile), as a server's loop does; `idle()`
 * resolves once no node is running.
 */
class ConcurrentNodes {
  readonly #running = new Set<number>();
  readonly #again = new Set<number>();
  #idle: (() => void)[] = [];
  constructor(readonly drivers: MultiRaftDriver[]) {}
  deliver(b: NodeBatch): void {
    this.drivers[b.to - 1].receive(b);
    this.kick(b.to);
  }
  kick(node: number): void {
    if (this.#running.has(node)) {
      this.#again.add(node);
      return;
    }
    this.#running.add(node);
    this.drivers[node - 1].runOnce().then(() => {
      this.#running.delete(node);
      if (this.#again.delete(node)) this.kick(node);
      else if (this.#running.size === 0) this.#idle.splice(0).forEach((f) => f());
    });
  }
  idle(): Promise<void> {
    for (let n = 1; n <= this.drivers.length; n++) this.kick(n);
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

async function cluster(
  fss: FileSystem[],
  dirs: string[],
  n: number,
  quiesce: boolean,
  concurrent = false,
) {
  let queue: NodeBatch[] = [];
  let nodes: ConcurrentNodes | undefined;
  const drivers: MultiRaftDriver[] = [];
  const logs: MultiLogStore[] = [];
  const sms: Map<number, CountSm>[] = [];
  for (let node = 1; node <= 3; node++) {
    const log = await MultiLogStore.open(fss[node - 1], dirs[node - 1]);
    const d = new MultiRaftDriver({
      nodeId: node,
      log,
      transport: { send: (b) => nodes === undefined ? queue.push(b) : nodes.deliver(b) },
      raft: RAFT,
      quiesce,
      peers: [1, 2, 3].filter((p) => p !== node),
      seed: node,
    });
    const m = new Map<number, CountSm>();
    for (let r = 1; r <= n; r++) m.set(r, new CountSm());
    await d.addRegions([...m].map(([id, sm]) => ({ id, sm, voters: [1, 2, 3] })));
    drivers.push(d);
    logs.push(log);
    sms.push(m);
  }
  /** Runs rounds and delivers until nothing is in flight (bounded). */
  const pump = async (): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      for (const d of drivers) await d.runOnce();
      if (queue.length === 0) return;
      const q = queue;
      queue = [];
      for (const b of q) drivers[b.to - 1].receive(b);
    }
  };
  for (let r = 1; r <= n; r++) drivers[r % 3].region(r)?.rawNode.campaign();
  await pump();
  if (concurrent) nodes = new ConcurrentNodes(drivers);
  const run = nodes === undefined ? pump : () => nodes?.idle() ?? Promise.resolve();
  return { drivers, logs, sms, pump: run } satisfies Cluster;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

async function idle(n: number, quiesce: boolean): Promise<string> {
  const fss = [1, 2, 3].map((s) => createSimWorld(s, { trace: false }).fs);
  const c = await cluster(fss, ["a", "b", "c"], n, quiesce);
  const tick = async () => {
    for (const d of c.drivers) d.tick();
    await c.pump();
  };
  for (let i = 0; i < 200; i++) await tick(); // settle (quiesce) first
  const quiet = c.drivers.map((d) => d.quietCount).join("/");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let ticks = 0;
  while (performance.now() - t0 < SECONDS * 1000 && ticks < 100_000) {
    await tick();
    ticks++;
  }
  const perTick = cpuMs(cpu0) / ticks / 3; // per node
  const perSecond = perTick * (1000 / TICK_MS);
  return `| ${n.toLocaleString("en")} | ${quiesce ? "yes" : "no"} | ${quiet} | ` +
    `${(perTick * 1000).toFixed(1)} | ${perSecond.toFixed(1)} | ` +
    `${(perSecond * 1000 / n).toFixed(2)} |`;
}

async function writes(active: number, concurrent: boolean): Promise<string> {
  const fs = getPlatform().fs;
  const dirs = [1, 2, 3].map(() => makeTempDir("multi-raft-bench-"));
  const c = await cluster([fs, fs, fs], dirs, active, false, concurrent);
  const ids = Array.from({ length: active }, (_, i) => i + 1);
  const leader = (r: number) => c.drivers.find((d) => d.region(r)?.rawNode.isLeader);
  const proposed = new Map<number, number>(ids.map((r) => [r, 0]));
  const appliedAt = (r: number) => {
    const d = leader(r);
    return d === undefined ? 0 : c.sms[d.nodeId - 1].get(r)?.applied ?? 0;
  };
  const total = () => ids.reduce((s, r) => s + appliedAt(r), 0);
  const syncs0 = c.logs.reduce((s, l) => s + l.syncs, 0);
  const rounds0 = c.drivers.reduce((s, d) => s + d.rounds, 0);
  const start = total();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastTick = t0;
  while (performance.now() - t0 < SECONDS * 1000) {
    for (const r of ids) {
      const d = leader(r);
      if (d === undefined) continue;
      for (let p = proposed.get(r) ?? 0; p - appliedAt(r) < WINDOW; p++) {
        d.propose(r, DATA);
        proposed.set(r, p + 1);
      }
    }
    if (performance.now() - lastTick >= TICK_MS) {
      for (const d of c.drivers) d.tick();
      lastTick = performance.now();
    }
    await c.pump();
  }
  const secs = (performance.now() - t0) / 1000;
  const entries = total() - start;
  const cpu = cpuMs(cpu0);
  const syncs = c.logs.reduce((s, l) => s + l.syncs, 0) - syncs0;
  const rounds = c.drivers.reduce((s, d) => s + d.rounds, 0) - rounds0;
  for (const l of c.logs) l.close();
  for (const d of dirs) removeTempDir(d);
  const mode = concurrent ? "concurrent" : "turns";
  return `| ${mode} | ${active} | ${Math.round(entries / secs).toLocaleString("en")} | ` +
    `${Math.round(rounds / secs).toLocaleString("en")} | ` +
    `${Math.round(syncs / secs).toLocaleString("en")} | ${(cpu * 1000 / entries).toFixed(1)} |`;
}

console.log(describeMachine());
console.log(`\nidle regions (3 nodes in one process; per node; ${TICK_MS} ms ticks)`);
console.log(
  "| regions | quiescence | quiet per node | CPU µs per tick | CPU ms per s | µs/s per region |",
);
console.log("| ---: | --- | --- | ---: | ---: | ---: |");
for (const n of values.idle.split(",").map(Number).filter((x) => x > 0)) {
  for (const q of [true, false]) console.log(await idle(n, q));
}
console.log(`\nwrites (3 nodes in one process, real fs, ${WINDOW} in flight per region, 64 B)`);
console.log(
  "| nodes run | active regions | entries/s | rounds/s (3 nodes) | fsyncs/s (3 nodes) | " +
    "CPU µs per entry |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const mode of values.modes.split(",").filter((m) => m !== "")) {
  for (const n of values.active.split(",").map(Number)) {
    console.log(await writes(n, mode === "concurrent"));
  }
}
