/**
 * Cross-region transactions next to single-region ones on real region state machines
 * (docs/transactions.md#on-regions): the test cluster of tests/kv/region_txn_cluster.ts — three
 * multi-region drivers in one process, RegionKv state machines on engines over a simulated file
 * system, a network that loses nothing, three regions — running `CLIENTS` coordinators that each
 * commit transactions of three keys, either all in one region or one in each region.
 *
 * Reported per kind: transactions committed per second of wall time, CPU per transaction (the
 * whole cluster's: three replicas of every entry, the coordinators and the oracle share one
 * thread), Raft entries proposed per transaction, and ticks per transaction and client (the
 * latency in Raft rounds: a tick is one timer tick and two rounds of every driver).
 *
 *   deno run -A bench/region_txn_bench.ts [--txns 200] [--clients 1,8] [--rounds 2]
 *   bun bench/region_txn_bench.ts
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { beginTxn } from "../src/txn/coordinator.ts";
import { utf8 } from "../src/util/bytes.ts";
import { threeRegions } from "../tests/kv/region_txn_cluster.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    txns: { type: "string", default: "200" },
    clients: { type: "string", default: "1,8" },
    rounds: { type: "string", default: "2" },
  },
});
const TXNS = Number(values.txns);
const ROUNDS = Number(values.rounds);

/** Keys of transaction `n` of client `c`: three in region 1, or one in each region. */
function keysOf(kind: "single" | "cross", c: number, n: number): string[] {
  const id = `${c}-${n % 50}`;
  return kind === "single" ? [`a${id}`, `b${id}`, `c${id}`] : [`a${id}`, `k${id}`, `t${id}`];
}

async function run(kind: "single" | "cross", clients: number) {
  const t = await threeRegions(7, 0);
  const envs = await Promise.all(Array.from({ length: clients }, () => t.env()));
  const ticks0 = t.ticks, writes0 = t.sent.writes;
  const cpu0 = process.cpuUsage(), wall0 = performance.now();
  let committed = 0, failed = 0;
  await Promise.all(envs.map(async (env, c) => {
    for (let n = 0; n < Math.ceil(TXNS / clients); n++) {
      try {
        const txn = await beginTxn(env);
        for (const k of keysOf(kind, c, n)) txn.put(utf8(k), utf8(`v${n}`));
        await txn.commit();
        committed++;
      } catch {
        failed++;
      }
    }
  }));
  const wallMs = performance.now() - wall0, cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    kind,
    clients,
    committed,
    failed,
    perSecond: Math.round(committed / (wallMs / 1000)),
    cpuMsPerTxn: +(cpuMs / committed).toFixed(2),
    entriesPerTxn: +((t.sent.writes - writes0) / committed).toFixed(2),
    ticksPerTxn: +(((t.ticks - ticks0) * clients) / committed).toFixed(2),
  };
}

console.log(describeMachine());
for (let round = 1; round <= ROUNDS; round++) {
  for (const clients of values.clients.split(",").map(Number)) {
    for (const kind of ["single", "cross"] as const) {
      console.log(JSON.stringify({ round, ...(await run(kind, clients)) }));
    }
  }
}
