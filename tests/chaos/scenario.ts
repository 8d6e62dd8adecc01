/** One chaos run: cluster, clients, a fault schedule, the final checks and the summary. */
import { createPrng } from "../../src/util/prng.ts";
import { ChaosCluster } from "./chaos_cluster.ts";
import { FAULT_KINDS, type FaultKind, type FaultRecord, Nemesis } from "./nemesis.ts";
import { excerpt, formatSummary, summarize, type Summary } from "./report.ts";
import { verify } from "./verify.ts";
import { checkFailovers, type LogCheck, raftLines } from "./log_lines.ts";
import { type HistoryOp, Workload } from "./workload.ts";

export interface ChaosOptions {
  readonly nodes: number;
  readonly seed: number;
  /** Faults in order; "random" draws kinds from the seed until `durationMs` has passed. */
  readonly faults: readonly FaultKind[] | "random";
  readonly durationMs: number;
  /** How long each fault lasts, and the quiet time after each. */
  readonly faultMs: number;
  readonly gapMs: number;
  readonly clients: number;
  readonly keys: number;
  readonly thinkMs: number;
  readonly extraArgs: readonly string[];
  /**
   * The nodes run with regions (`--region-split-bytes` in extraArgs): the final read of each
   * node is linearizable, so every region there has caught up (the caught-up wait compares
   * region 1's indexes only), still served from that node's own replicas.
   */
  readonly regions?: boolean;
  readonly log: (line: string) => void;
  /** Node states and link traffic every 300 ms during faults (`--trace`). */
  readonly trace?: (line: string) => void;
}

export const DEFAULTS: Omit<ChaosOptions, "nodes" | "seed" | "faults" | "log"> = {
  durationMs: 60_000,
  faultMs: 3000,
  gapMs: 1000,
  clients: 4,
  keys: 6,
  thinkMs: 10,
  extraArgs: [],
};

export interface ChaosResult {
  readonly summary: Summary;
  readonly records: readonly FaultRecord[];
  readonly history: readonly HistoryOp[];
  /** The nodes' election and leader-change lines against the measured failovers. */
  readonly logCheck: LogCheck;
  readonly text: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const prng = createPrng(o.seed);
  const cluster = await ChaosCluster.start(o.nodes, [...o.extraArgs], () => prng.nextFloat());
  try {
    if (await cluster.waitLeader(30_000) === undefined) {
      throw new Error(`no leader at startup\n${cluster.bin.logs()}`);
    }
    const t0 = performance.now();
    const wallT0 = Date.now();
    const now = () => performance.now() - t0;
    const w = new Workload(cluster, { ...o, record: true }, t0);
    const nemesis = new Nemesis(cluster, prng.fork(), now, o.trace);
    w.start();
    await sleep(o.gapMs);
    const kinds = o.faults === "random" ? [] : [...o.faults];
    for (let i = 0; i < 100_000; i++) {
      let kind: FaultKind | undefined;
      if (o.faults === "random") {
        if (now() + o.faultMs > o.durationMs) break;
        kind = FAULT_KINDS[prng.int(FAULT_KINDS.length)];
      } else {
        kind = kinds.shift();
        if (kind === undefined) break;
      }
      const r = await nemesis.run(kind, o.faultMs);
      o.log(`${(r.at / 1000).toFixed(1)} s: ${r.kind} (${r.detail}) healed`);
      await sleep(o.gapMs);
    }
    await w.stop();
    const end = now();
    const verdict = await verify(cluster, w.history, w.keys, now, o.regions === true);
    const summary = summarize(w, nemesis.records, verdict, end);
    const logCheck = checkNodeLogs(cluster, nemesis.records, wallT0);
    let text = `chaos run: ${o.nodes} nodes, seed ${o.seed}, ${(end / 1000).toFixed(1)} s\n` +
      formatSummary(summary, nemesis.records) + `\n${logCheck.text}`;
    if (verdict.failingKey !== undefined) {
      text += `\nlast operations on ${verdict.failingKey}:\n` +
        excerpt(w.history, verdict.failingKey);
    }
    const bad = verdict.linearizable === false || verdict.lost.length > 0 || !verdict.caughtUp ||
      verdict.crashes.length > 0;
    if (bad) {
      text += `\nnode logs:\n${cluster.bin.logs()}`;
    }
    return { summary, records: nemesis.records, history: w.history, logCheck, text };
  } catch (err) {
    // A run that throws (no leader, a node never answering) says what the nodes said.
    const message = err instanceof Error ? err.message : String(err);
    const exits = cluster.bin.unexpectedExits.join("; ") || "none";
    throw new Error(
      `${message}\nnodes that exited on their own: ${exits}\nnode logs:\n${cluster.bin.logs()}`,
      { cause: err },
    );
  } finally {
    cluster.bin.saveLogs(); // every node's whole log, with TINYKV_E2E_LOG_DIR set
    await cluster.stop();
  }
}

/** Each leader fault's measured failover against the nodes' leader.changed lines. */
function checkNodeLogs(
  cluster: ChaosCluster,
  records: readonly FaultRecord[],
  wallT0: number,
): LogCheck {
  const outputs = new Map([...cluster.bin.nodes].map(([id, n]) => [id, n.log]));
  const failovers = records.flatMap((r) =>
    r.oldLeader === undefined
      ? []
      : [{ kind: r.kind, at: r.at, ms: r.failoverMs, oldLeader: r.oldLeader }]
  );
  return checkFailovers(failovers, raftLines(outputs, wallT0));
}
