/**
 * `tinykv sim`: runs seeds of the whole-node simulation (docs/simulation.md)
 * and prints one line per seed, a summary, and for a failure the command that
 * replays it. `--seed S` replays one seed; its output (and with `--trace`, its
 * trace) is the same on every run.
 */
import { parseArgs } from "../platform/args.ts";
import type { Clock, ProcessHost } from "../platform/types.ts";
import {
  describeCounts,
  type FaultCounts,
  type FaultKind,
  parseFaultKinds,
  zeroCounts,
} from "../sim/fault_kinds.ts";
import type { Outcome } from "../sim/history.ts";
import { runSeed, type SeedResult } from "../sim/run_seed.ts";
import { describeSeedOptions } from "../sim/seed_options.ts";
import { errorMessage } from "../util/errors.ts";
import { UsageError } from "./usage_error.ts";

const SIM_OPTIONS = {
  help: { type: "boolean", short: "h" },
  seeds: { type: "string" },
  start: { type: "string" },
  seed: { type: "string" },
  nodes: { type: "string" },
  faults: { type: "string" },
  trace: { type: "boolean" },
  "region-split-bytes": { type: "string" },
  "region-merge-bytes": { type: "string" },
  "region-split-load": { type: "string" },
} as const;

export const SIM_HELP = "Usage: tinykv sim [--seeds N] [--start S] [--seed S] [--nodes 3|5] " +
  "[--faults kind,kind,...] [--trace] [--region-split-bytes N] [--region-merge-bytes N]\n" +
  "[--region-split-load N]\n" +
  "Runs whole TinyKV nodes (the real server, client library and RESP port) on a simulated\n" +
  "disk, network and clock, one seed at a time, under faults; checks linearizability, that\n" +
  "no acknowledged write is lost, equal replicas and progress after healing.\n" +
  "  --seeds N   run seeds S..S+N-1 (default 10; --start S, default 1)\n" +
  "  --seed S    replay one seed (same output every time); --trace prints its trace\n" +
  "  --nodes N   3 or 5 (default: drawn from each seed)\n" +
  "  --faults    crash-lose,crash-tear,restart,partition,one-way-cut,conn-reset,pause,\n" +
  "              disk-full,corrupt-file,wipe-rejoin,membership: only these (default: a\n" +
  "              random subset of all kinds per seed)\n" +
  "  --region-split-bytes N  the nodes split regions past N bytes (default 0: never)\n" +
  "  --region-merge-bytes N  and merge adjacent ones of N bytes together at most (0: never)\n" +
  "  --region-split-load N   and split regions written more than N times a virtual second\n" +
  "Exits 0 when every seed passed, 1 otherwise.\n";

interface SimFlags {
  readonly seeds: number[];
  readonly nodes?: number;
  readonly faults?: FaultKind[];
  readonly trace: boolean;
  readonly regionSplitBytes?: number;
  readonly regionMergeBytes?: number;
  readonly regionSplitLoad?: number;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${what} must be a whole number`);
  return n;
}

function parseFlags(argv: readonly string[]): SimFlags | undefined {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: SIM_OPTIONS, strict: true }).values;
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/\.$/, "").split(". To specify")[0]);
  }
  if (values.help) return undefined;
  const nodes = values.nodes === undefined ? undefined : positiveInt(values.nodes, "--nodes");
  if (nodes !== undefined && nodes !== 3 && nodes !== 5) throw new UsageError("--nodes is 3 or 5");
  let faults: FaultKind[] | undefined;
  try {
    faults = values.faults === undefined ? undefined : parseFaultKinds(values.faults);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  const split = values["region-split-bytes"];
  const regionSplitBytes = split === undefined
    ? undefined
    : positiveInt(split, "--region-split-bytes");
  const merge = values["region-merge-bytes"];
  const regionMergeBytes = merge === undefined
    ? undefined
    : positiveInt(merge, "--region-merge-bytes");
  const trace = !!values.trace;
  const load = values["region-split-load"];
  const regionSplitLoad = load === undefined ? undefined : positiveInt(load, "--region-split-load");
  const regions = { regionSplitBytes, regionMergeBytes, regionSplitLoad };
  if (values.seed !== undefined) {
    return { seeds: [positiveInt(values.seed, "--seed")], nodes, faults, trace, ...regions };
  }
  const start = positiveInt(values.start ?? "1", "--start");
  const count = positiveInt(values.seeds ?? "10", "--seeds");
  const seeds = Array.from({ length: count }, (_, i) => start + i);
  return { seeds, nodes, faults, trace, ...regions };
}

function seedLine(r: SeedResult): string {
  const ops = r.ops;
  const lin = r.linearizable === true ? "yes" : r.linearizable === false ? "NO" : "unknown";
  return `seed ${r.seed} nodes=${r.options.nodes} ${r.ok ? "ok" : "FAIL"} | faults ` +
    `${describeCounts(r.faults)} | ops ok=${ops.ok} failed=${ops.fail} unknown=${ops.unknown} ` +
    `| linearizable ${lin} | revisions ${revisionsText(r)}${expiryText(r)}${redisText(r)}` +
    `${coordinationText(r)}${bankTxnText(r)}\n`;
}

/** Operations the revision checker placed at their exact revision, and reads it placed. */
function revisionsText(r: SeedResult): string {
  const v = r.revisions;
  return v === undefined
    ? "unchecked"
    : `${v.ok ? "ok" : "NO"} (${v.fixed} writes, ${v.placed} reads)`;
}

/** TTL-key reads checked (those that saw a key with an expiry), changes, sweeper deletes. */
function expiryText(r: SeedResult): string {
  const e = r.expiry;
  return e === undefined
    ? ""
    : ` | expiry ${e.reads} reads (${e.expiring} expiring) ${e.changes} changes ${e.swept} swept`;
}

/** EXECs applied / answered nil (WATCH conflict) / unknown; RESP TTL and database 1 ops. */
function redisText(r: SeedResult): string {
  const x = r.redis;
  return ` | redis exec ${x.execOk}/${x.execNull}/${x.execUnknown} ttl ${x.ttl} db1 ${x.db1}`;
}

/** Bank transfers committed (across regions) / lost races / unknown; full reads; regions. */
function bankTxnText(r: SeedResult): string {
  const b = r.bankTxn;
  return ` | bank txn ${b.transfers} (${b.crossed} across) / ${b.raced} raced / ${b.unknown} ` +
    `unknown, reads ${b.reads} (${b.readsCrossed} across), accounts in ${b.regions} regions` +
    (b.finalSkipped === true ? " (final read skipped: every node held only some)" : "");
}

function coordinationText(r: SeedResult): string {
  const c = r.coordination;
  return c === undefined ? "" : ` | watches ${c.watches} (${c.events} events) leases ${c.leases}`;
}

function replayCommand(seed: number, f: SimFlags): string {
  const nodes = f.nodes === undefined ? "" : ` --nodes ${f.nodes}`;
  const faults = f.faults === undefined ? "" : ` --faults ${f.faults.join(",")}`;
  const split = f.regionSplitBytes === undefined
    ? ""
    : ` --region-split-bytes ${f.regionSplitBytes}`;
  const merge = f.regionMergeBytes === undefined
    ? ""
    : ` --region-merge-bytes ${f.regionMergeBytes}`;
  const load = f.regionSplitLoad === undefined ? "" : ` --region-split-load ${f.regionSplitLoad}`;
  return `./tinykv sim --seed ${seed}${nodes}${faults}${split}${merge}${load} --trace`;
}

/** Runs the `sim` command; resolves with the exit code. */
export async function runSimCommand(
  argv: readonly string[],
  host: ProcessHost,
  clock: Clock,
): Promise<number> {
  const flags = parseFlags(argv);
  if (flags === undefined) {
    host.writeStdout(SIM_HELP);
    return 0;
  }
  const totals: FaultCounts = zeroCounts();
  const ops: Record<Outcome, number> = { ok: 0, fail: 0, unknown: 0 };
  let failed: SeedResult | undefined;
  let failures = 0;
  const started = clock.nowMs();
  const replay = flags.seeds.length === 1;
  for (const seed of flags.seeds) {
    const r = await runSeed({ ...flags, seed });
    if (replay) host.writeStdout(`${describeSeedOptions(r.options)}\n`);
    if (replay && flags.trace) host.writeStdout(`${r.trace.text()}\n`);
    host.writeStdout(seedLine(r));
    for (const f of r.failures) host.writeStdout(`  ${f}\n`);
    for (const [k, n] of Object.entries(r.faults)) totals[k as FaultKind] += n;
    for (const k of ["ok", "fail", "unknown"] as const) ops[k] += r.ops[k];
    if (!r.ok) {
      failures++;
      failed ??= r;
    }
  }
  const n = flags.seeds.length;
  host.writeStdout(`seeds: ${n - failures} passed, ${failures} failed\n`);
  host.writeStdout(`faults: ${describeCounts(totals)}\n`);
  host.writeStdout(`ops: ok=${ops.ok} failed=${ops.fail} unknown=${ops.unknown}\n`);
  if (!replay) {
    const secs = (clock.nowMs() - started) / 1000;
    host.writeStdout(`time: ${secs.toFixed(1)} s (${(n / secs).toFixed(2)} seeds/s)\n`);
  }
  if (failed !== undefined) {
    host.writeStdout(`first failing seed: ${failed.seed}: ${failed.failures[0]}\n`);
    host.writeStdout(`replay: ${replayCommand(failed.seed, flags)}\n`);
    if (!flags.trace) host.writeStdout(`last trace lines:\n${failed.trace.tail(40)}\n`);
  }
  return failures === 0 ? 0 : 1;
}
