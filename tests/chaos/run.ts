/**
 * `deno task chaos`: long, configurable chaos runs against ./tinykv.
 *
 *   deno task chaos --nodes 5 --duration 600 --seed 7
 *   deno task chaos --faults kill-leader,partition-split --fault-ms 4000
 *   deno task chaos --failover 20            (leader kill -9 ×20 under write load)
 *   deno task chaos --read-mode lease        (extra args for every node)
 *   deno task chaos --region-split-bytes 16384   (nodes split the keyspace into regions)
 *
 * Exits 1 when the history is not linearizable, an acknowledged write was
 * lost, replicas diverged or a node exited on its own.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { runFailover } from "./failover.ts";
import { FAULT_KINDS, type FaultKind } from "./nemesis.ts";
import { DEFAULTS, runChaos } from "./scenario.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: "string", default: "3" },
    duration: { type: "string", default: "60" },
    seed: { type: "string" },
    clients: { type: "string", default: String(DEFAULTS.clients) },
    keys: { type: "string", default: String(DEFAULTS.keys) },
    "fault-ms": { type: "string", default: String(DEFAULTS.faultMs) },
    "gap-ms": { type: "string", default: String(DEFAULTS.gapMs) },
    "think-ms": { type: "string", default: String(DEFAULTS.thinkMs) },
    faults: { type: "string" },
    failover: { type: "string" },
    "read-mode": { type: "string" },
    "region-split-bytes": { type: "string" },
    trace: { type: "boolean", default: false },
  },
});

function int(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
}

const seed = values.seed === undefined ? Date.now() % 1_000_000 : int("seed", values.seed);
const nodes = int("nodes", values.nodes);
const extraArgs = values["read-mode"] === undefined ? [] : ["--read-mode", values["read-mode"]];
const splitBytes = values["region-split-bytes"];
if (splitBytes !== undefined) {
  extraArgs.push("--region-split-bytes", String(int("region-split-bytes", splitBytes)));
}
const log = (line: string) => console.log(line);

if (values.failover !== undefined) {
  const r = await runFailover({ nodes, kills: int("failover", values.failover), seed, log });
  console.log(r.text);
  process.exit(r.ok ? 0 : 1);
}

let faults: FaultKind[] | "random" = "random";
if (values.faults !== undefined) {
  faults = values.faults.split(",").map((f) => {
    if (!(FAULT_KINDS as readonly string[]).includes(f)) {
      throw new Error(`unknown fault ${f}; known: ${FAULT_KINDS.join(", ")}`);
    }
    return f as FaultKind;
  });
}
console.log(`chaos: ${nodes} nodes, seed ${seed} (rerun with --seed ${seed})`);
const r = await runChaos({
  nodes,
  seed,
  faults,
  durationMs: int("duration", values.duration) * 1000,
  faultMs: int("fault-ms", values["fault-ms"]),
  gapMs: int("gap-ms", values["gap-ms"]),
  clients: int("clients", values.clients),
  keys: int("keys", values.keys),
  thinkMs: int("think-ms", values["think-ms"]),
  extraArgs,
  regions: splitBytes !== undefined,
  log,
  trace: values.trace ? log : undefined,
});
console.log(r.text);
const v = r.summary.verdict;
const passed = v.linearizable !== false && v.lost.length === 0 && v.diverged.length === 0 &&
  v.crashes.length === 0;
process.exit(passed ? 0 : 1);
