/**
 * `deno task soak`: a 3-node cluster under mixed load with an occasional
 * fault, sampling every node's resident memory (/proc/<pid>/status VmRSS) and
 * the throughput every `--interval` seconds. Prints a table and a verdict:
 * memory is flat when each node's last-quarter mean RSS is within
 * `--rss-tolerance` % of its second-quarter mean, throughput is steady when the
 * last quarter's mean is at least half the second quarter's.
 *
 *   deno task soak --minutes 30 --interval 10 --seed 1
 *
 * Faults are ones that keep every process alive (pauses, partitions, slow
 * links) so each node's memory series is one process's.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { createPrng } from "../../src/util/prng.ts";
import { ChaosCluster } from "./chaos_cluster.ts";
import { type FaultKind, Nemesis } from "./nemesis.ts";
import { Workload } from "./workload.ts";

const SOAK_FAULTS: readonly FaultKind[] = [
  "pause-follower",
  "pause-leader",
  "partition-leader",
  "one-way-leader",
  "slow",
  "lossy",
];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    minutes: { type: "string", default: "30" },
    interval: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    "fault-every": { type: "string", default: "60" },
    "rss-tolerance": { type: "string", default: "20" },
  },
});
const minutes = Number(values.minutes);
const intervalS = Number(values.interval);
const seed = Number(values.seed);
const faultEveryS = Number(values["fault-every"]);
const tolerance = Number(values["rss-tolerance"]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

interface Sample {
  readonly t: number;
  readonly rssMb: number[];
  readonly opsPerS: number;
  readonly fault: string;
}

const prng = createPrng(seed);
const c = await ChaosCluster.start(3, [], () => prng.nextFloat());
const samples: Sample[] = [];
try {
  if (await c.waitLeader(30_000) === undefined) throw new Error("no leader at startup");
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const w = new Workload(c, { clients: 4, keys: 50, seed, thinkMs: 5, record: false }, t0);
  const nemesis = new Nemesis(c, prng.fork(), now);
  w.start();
  const endMs = minutes * 60_000;
  let nextFault = faultEveryS * 1000;
  let faulting: Promise<unknown> | undefined;
  let current = "";
  let lastOk = 0;
  console.log(`soak: 3 nodes, ${minutes} min, sample every ${intervalS} s, seed ${seed}`);
  console.log("   t (s)   rss1 MB   rss2 MB   rss3 MB   ok ops/s  fault");
  for (let i = 0; now() < endMs && i < 1_000_000; i++) {
    await sleep(intervalS * 1000);
    if (faulting === undefined && now() >= nextFault) {
      const kind = SOAK_FAULTS[prng.int(SOAK_FAULTS.length)];
      current = kind;
      faulting = nemesis.run(kind, 3000).finally(() => {
        faulting = undefined;
      });
      nextFault += faultEveryS * 1000;
    }
    const ok = w.counts.ok;
    const s: Sample = {
      t: now() / 1000,
      rssMb: c.ids.map((id) => (c.bin.rssKb(id) ?? 0) / 1024),
      opsPerS: (ok - lastOk) / intervalS,
      fault: current,
    };
    current = faulting === undefined ? "" : current;
    lastOk = ok;
    samples.push(s);
    console.log(
      `${s.t.toFixed(0).padStart(8)}` + s.rssMb.map((m) => m.toFixed(1).padStart(10)).join("") +
        `${s.opsPerS.toFixed(0).padStart(11)}  ${s.fault}`,
    );
  }
  await faulting;
  await w.stop();
  console.log(
    `operations: ok ${w.counts.ok}, failed ${w.counts.fail}, unknown ${w.counts.unknown}`,
  );
} finally {
  await c.stop();
}

const q = Math.floor(samples.length / 4);
const second = samples.slice(q, 2 * q);
const last = samples.slice(samples.length - q);
let flat = q > 0;
for (let n = 0; n < 3 && q > 0; n++) {
  const a = mean(second.map((s) => s.rssMb[n]));
  const b = mean(last.map((s) => s.rssMb[n]));
  const change = (b - a) / a * 100;
  if (Math.abs(change) > tolerance) flat = false;
  console.log(
    `node ${n + 1} RSS: 2nd quarter ${a.toFixed(1)} MB, last quarter ${b.toFixed(1)} MB ` +
      `(${change >= 0 ? "+" : ""}${change.toFixed(1)} %)`,
  );
}
const tpA = mean(second.map((s) => s.opsPerS));
const tpB = mean(last.map((s) => s.opsPerS));
const steady = q > 0 && tpB >= tpA / 2;
console.log(
  `throughput: 2nd quarter ${tpA.toFixed(0)} ops/s, last quarter ${tpB.toFixed(0)} ops/s`,
);
console.log(
  `verdict: memory ${flat ? "flat" : "NOT FLAT"} (±${tolerance} %), ` +
    `throughput ${steady ? "steady" : "NOT STEADY"}`,
);
process.exit(flat && steady ? 0 : 1);
