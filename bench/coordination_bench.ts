/**
 * The coordination API under load (issue 11): watch fan-out (1, 100, 1,000 watchers on one
 * prefix: events/s delivered, latency put issued → event received), txn throughput next to
 * plain puts at the same concurrency, and what the revision history costs: puts/s and the
 * engine's bytes after N overwrites of a small key set, with the history kept and after
 * `compact` plus an engine compaction. Those run on in-process 3-node clusters
 * (coordination_loads.ts). With --old-binary, plain puts of the compiled binary (`tinykv bench`
 * as a separate load process on a 3-node cluster, as bench/e2e_bench.ts) next to an older
 * build's. Prints markdown for bench/RESULTS.md.
 *
 *   deno run -A bench/coordination_bench.ts [--watchers 1,100,1000] [--writes 500]
 *     [--concurrency 16] [--duration 5] [--overwrites 20000] [--keys 100]
 *     [--old-binary /tmp/tk-old/tinykv] [--rounds 2] [--sections fanout,txn,history,binary]
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { BINARY, BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import { describeMachine } from "./machine.ts";
import { fanOut, historyCost, treeBytes, txnVsPut } from "./coordination_loads.ts";

const { values } = parseArgs({
  options: {
    watchers: { type: "string", default: "1,100,1000" },
    writes: { type: "string", default: "500" },
    concurrency: { type: "string", default: "16" },
    duration: { type: "string", default: "5" },
    overwrites: { type: "string", default: "20000" },
    keys: { type: "string", default: "100" },
    "old-binary": { type: "string" },
    rounds: { type: "string", default: "2" },
    sections: { type: "string", default: "fanout,txn,history,binary" },
  },
});
const concurrency = Number(values.concurrency);
const durationMs = Number(values.duration) * 1000;
const ms = (x: number) => x.toFixed(1);
const kib = (b: number) => `${Math.round(b / 1024)} KiB`;
const say = (line: string) => console.error(line);

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

async function fanOutSection(): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const w of values.watchers.split(",").map(Number)) {
    const r = await fanOut(w, Number(values.writes), concurrency);
    say(`fan-out ${w}: ${r.eventsPerSecond} events/s, p50 ${ms(r.p50)} p99 ${ms(r.p99)} ms`);
    rows.push([
      w,
      r.writes,
      `${r.delivered}/${w * r.writes}`,
      r.eventsPerSecond,
      ms(r.p50),
      ms(r.p99),
    ]);
  }
  const head = ["watchers", "writes", "events delivered", "events/s", "p50 ms", "p99 ms"];
  return `#### Watch fan-out (one prefix, ${concurrency} writes in flight)\n\n${table(head, rows)}`;
}

async function txnSection(): Promise<string> {
  const rows = await txnVsPut(concurrency, durationMs);
  for (const r of rows) say(`${r.op}: ${r.opsPerSecond}/s`);
  const head = ["operation", "in flight", "ops/s", "p50 ms", "p99 ms"];
  const body = rows.map((r) => [r.op, r.concurrency, r.opsPerSecond, ms(r.p50), ms(r.p99)]);
  return `#### Transactions next to plain puts (${values.duration} s each)\n\n${table(head, body)}`;
}

async function historySection(): Promise<string> {
  const r = await historyCost(Number(values.overwrites), Number(values.keys), concurrency);
  say(`history: ${r.putsPerSecond} puts/s, ${kib(r.bytesKept)} kept, ${kib(r.bytesCompacted)}`);
  const head = [
    "overwrites",
    "keys",
    "puts/s",
    "history kept¹",
    "compacted²",
  ];
  const row = [r.overwrites, r.keys, r.putsPerSecond, kib(r.bytesKept)];
  return `#### Revision history's cost (leader's engine directory, ${concurrency} in flight)\n\n` +
    table(head, [[...row, kib(r.bytesCompacted)]]) + "\n\n" +
    "¹ after an engine compaction, every revision kept. " +
    "² after `compact(last revision)`, its background removal and an engine compaction.";
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err && stdout === "") reject(new Error(`${cmd} failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** `tinykv bench --op put` with `binary` on a 3-node cluster of the same build. */
async function binaryPuts(binary: string): Promise<(string | number)[]> {
  const c = await BinaryCluster.start(3, [], binary);
  try {
    const leader = await c.leader();
    const args = ["bench", "--json", "--op", "put", "--concurrency", String(concurrency)];
    args.push("--duration", values.duration, "--value-size", "100", "--keys", values.keys);
    const r = JSON.parse(await run(binary, [...args, "--endpoints", c.endpoints])) as {
      opsPerSecond: number;
      latencyMs: { p50: number; p99: number };
    };
    // A clean stop writes the memtable out (the replicated engine has no WAL of its own).
    await c.kill(leader, "SIGTERM");
    const bytes = treeBytes(path.join(c.nodes.get(leader)?.dataDir ?? "", "kv"));
    say(`${binary}: ${r.opsPerSecond} puts/s`);
    return [binary, r.opsPerSecond, ms(r.latencyMs.p50), ms(r.latencyMs.p99), kib(bytes)];
  } finally {
    await c.stop();
  }
}

/** The commit a binary was built from (its checkout's HEAD), for the table. */
async function commitOf(binary: string): Promise<string> {
  const head = await run("git", ["-C", path.dirname(binary), "rev-parse", "--short", "HEAD"]);
  return `${head.trim()} (${binary})`;
}

/** Old and new builds in turn, `rounds` times: a busy machine skews one run, not one build. */
async function binarySection(old: string): Promise<string> {
  const rows: (string | number)[][] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const binary of [old, BINARY]) {
      rows.push([await commitOf(binary), ...(await binaryPuts(binary)).slice(1)]);
    }
  }
  const head = ["binary", "puts/s", "p50 ms", "p99 ms", "leader's engine bytes after a clean stop"];
  return `#### Plain puts of the binary, before and after (3 processes, ${concurrency} in flight, ` +
    `${values.keys} keys, ${values.duration} s)\n\n${table(head, rows)}`;
}

const wanted = new Set(values.sections.split(","));
const sections: string[] = [];
if (wanted.has("fanout")) sections.push(await fanOutSection());
if (wanted.has("txn")) sections.push(await txnSection());
if (wanted.has("history")) sections.push(await historySection());
const old = values["old-binary"];
if (old !== undefined && wanted.has("binary")) sections.push(await binarySection(old));
console.log([["```", describeMachine(), "```"].join("\n"), ...sections].join("\n\n"));
