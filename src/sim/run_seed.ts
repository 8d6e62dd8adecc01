/**
 * One seed of the whole-node simulation (docs/simulation.md): from the seed,
 * draw the cluster and its fault rates; start complete nodes on simulated
 * disks and a simulated network; run the workload under faults; heal and
 * require progress within a bound; then check linearizability, that no
 * acknowledged write was lost and that the replicas are equal. Everything runs
 * on one virtual clock, one timer at a time (runUntil), so the same seed gives
 * the same trace and the same result.
 */
import { runUntil } from "../platform/sim/settle.ts";
import { SimClock } from "../platform/sim/sim_clock.ts";
import { SimNet } from "../platform/sim/sim_net.ts";
import { SimTrace } from "../platform/sim/sim_trace.ts";
import { errorMessage } from "../util/errors.ts";
import { createPrng } from "../util/prng.ts";
import type { FaultCounts } from "./fault_kinds.ts";
import { type CheckReport, finalChecks } from "./final_checks.ts";
import { compactionCheck } from "./compaction_check.ts";
import { heal, type HealResult } from "./heal.ts";
import { History, type Outcome } from "./history.ts";
import { Nemesis } from "./nemesis.ts";
import { Roster } from "./roster.ts";
import { drawSeedOptions, type SeedOptions, type SeedRequest } from "./seed_options.ts";
import { SimCluster } from "./sim_cluster.ts";
import { catchStrayRejections } from "./stray_rejections.ts";
import { WatchCheck } from "./watch_check.ts";
import { Workload } from "./workload.ts";
import { regionOfKey } from "./region_final.ts";
import { utf8 } from "../util/bytes.ts";

export interface SeedRunRequest extends SeedRequest {
  /** Keep the full trace (default: only the last lines, for a failure's report). */
  readonly trace?: boolean;
}

export interface SeedResult {
  readonly seed: number;
  readonly options: SeedOptions;
  readonly ok: boolean;
  /** Why the seed failed (empty when it passed). */
  readonly failures: string[];
  readonly faults: FaultCounts;
  readonly ops: Record<Outcome, number>;
  readonly linearizable: boolean | "unknown";
  /** The revision checker's verdict and counts, when the checks ran. */
  readonly revisions?: { ok: boolean; fixed: number; placed: number };
  /** Reads of TTL keys checked, those that returned a key with an expiry, changes, sweeps. */
  readonly expiry?: { reads: number; expiring: number; changes: number; swept: number };
  /** The Redis operations: EXECs by outcome, RESP ops on TTL keys and in database 1. */
  readonly redis: History["redis"];
  /** The bank transactions: transfers by outcome, reads, regions crossed. */
  readonly bankTxn: History["bankTxn"];
  /** Watches run and events they delivered, leases held (when the checks ran). */
  readonly coordination?: { watches: number; events: number; leases: number };
  readonly healMs: number;
  readonly virtualMs: number;
  readonly trace: SimTrace;
}

/** Virtual time a seed may run before it is declared stuck. */
const SLACK_MS = 60_000;

interface Outcomes {
  /** The history's wrong answers (History.problems). */
  problems: string[];
  heal?: HealResult;
  checks?: CheckReport;
  error?: string;
}

function verdict(o: Outcomes): string[] {
  const failures: string[] = [];
  if (o.error !== undefined) failures.push(`run error: ${o.error}`);
  if (o.heal !== undefined && !o.heal.ok) failures.push(`liveness: ${o.heal.reason}`);
  if (o.problems.length > 0) failures.push(`wrong answers: ${o.problems.slice(0, 5).join("; ")}`);
  const c = o.checks;
  if (c === undefined) return failures;
  if (c.linearizable === false) {
    failures.push(`not linearizable: key ${c.failingKey}: ${c.explanation}`);
  }
  if (c.lost.length > 0) {
    failures.push(`acknowledged writes lost: ${c.lost.slice(0, 5).join("; ")}`);
  }
  if (c.diverged.length > 0) failures.push(`replicas differ: ${c.diverged.join("; ")}`);
  if (c.revisions !== undefined && !c.revisions.ok) {
    failures.push(`revisions: ${c.revisions.violations.join("; ")}`);
  }
  const co = c.coordination;
  if (co !== undefined) {
    if (co.liveness.length > 0) failures.push(`coordination liveness: ${co.liveness.join("; ")}`);
    if (co.watch.length > 0) failures.push(`watches: ${co.watch.join("; ")}`);
    if (co.lease.length > 0) failures.push(`leases: ${co.lease.join("; ")}`);
  }
  failures.push(...c.errors);
  return failures;
}

async function script(
  c: SimCluster,
  o: SeedOptions,
  history: History,
  nemesis: Nemesis,
  roster: Roster,
): Promise<Outcomes> {
  const workload = new Workload({
    clock: c.clock,
    prng: c.o.prng.fork(),
    history,
    netOf: (name) => c.net.host(name),
    kvEndpoints: () => c.kvEndpoints(),
    respEndpoints: () => c.respEndpoints(),
    regionOf: o.timing.regionSplitBytes > 0 ? (key) => regionOfKey(c, utf8(key)) : undefined,
  }, o.workload);
  for (const n of c.nodes) await n.start();
  const watcher = new WatchCheck({
    clock: c.clock,
    net: c.net.host("watcher"),
    endpoints: c.kvEndpoints(),
    seed: c.o.prng.int(0x7fff_ffff),
  });
  workload.start();
  await nemesis.run(c.clock.nowMs() + o.faultPhaseMs);
  await workload.stop();
  const healed = await heal(c, roster, o.healBoundMs);
  if (!healed.ok) return { heal: healed, problems: history.problems };
  const checks = await finalChecks(c, history, workload.coordination, o.timing);
  // With regions the watch over every key has no one history to agree with (simulation.md).
  const watched = o.timing.regionSplitBytes > 0 ? watcher.close() : await watcher.finish(c);
  const compaction = checks.history === undefined ? [] : await compactionCheck(c, checks.history);
  return {
    heal: healed,
    checks: { ...checks, errors: [...checks.errors, ...watched, ...compaction] },
    problems: history.problems,
  };
}

export async function runSeed(r: SeedRunRequest): Promise<SeedResult> {
  const o = drawSeedOptions(r);
  const prng = createPrng(r.seed);
  const clock = new SimClock();
  const trace = new SimTrace({ enabled: true, lineLimit: r.trace ? 5_000_000 : 2000 });
  const net = new SimNet(clock, prng.fork(), { delayMaxMs: o.netDelayMaxMs, trace });
  const c = new SimCluster({
    clock,
    net,
    trace,
    prng: prng.fork(),
    nodes: o.nodes,
    timing: o.timing,
  });
  const history = new History(trace);
  history.regions = o.timing.regionSplitBytes > 0;
  const roster = new Roster(c.ids);
  const nemesis = new Nemesis(c, roster, prng.fork(), o.nemesis);
  const stray = catchStrayRejections((reason) => c.note(`stray rejection: ${reason}`));
  let outcomes: Outcomes | undefined;
  const run = script(c, o, history, nemesis, roster).then(
    (res) => void (outcomes = res),
    (err) => void (outcomes = { error: errorMessage(err), problems: history.problems }),
  );
  try {
    const budget = o.faultPhaseMs + o.healBoundMs + SLACK_MS;
    if (!await runUntil(clock, () => outcomes !== undefined, budget)) {
      outcomes = { error: `did not finish within ${budget} virtual ms`, problems: [] };
    }
    void run;
  } finally {
    stray.stop();
    for (const n of c.nodes) n.crash("lose");
  }
  const result = outcomes ?? { error: "no outcome", problems: [] };
  const failures = verdict(result);
  const hung = c.nodes.flatMap((n) => n.stopsHung);
  if (hung.length > 0) failures.push(`clean stop hung (killed after 10 s): ${hung.join(", ")}`);
  return {
    seed: r.seed,
    options: o,
    ok: failures.length === 0,
    failures,
    faults: nemesis.counts,
    ops: { ...history.counts },
    redis: { ...history.redis },
    bankTxn: { ...history.bankTxn },
    linearizable: result.checks?.linearizable ?? "unknown",
    revisions: result.checks?.revisions,
    expiry: result.checks?.expiry,
    coordination: result.checks?.coordination,
    healMs: result.heal?.ms ?? -1,
    virtualMs: clock.nowMs(),
    trace,
  };
}
