/**
 * scripts/resp_diff.sh: runs case files on redis-server and TinyKV and prints, per file, how many
 * commands agreed, then every mismatch. `--pending` runs cases_pending/ (commands TinyKV does not
 * have yet) instead of cases/; file paths given as arguments run just those.
 * Exits 0 when nothing differs, 1 otherwise, 2 when it cannot run.
 */
import * as path from "node:path";
import process from "node:process";
import { caseFiles, type FileResult, formatMismatch, runFile } from "./diff_runner.ts";
import { type DiffServer, missingTools, startRedis, startTinyKv } from "./diff_servers.ts";

const HERE = import.meta.dirname ?? ".";

function row(cells: readonly (string | number)[]): string {
  const [name, ...rest] = cells.map(String);
  return name.padEnd(44) + rest.map((c) => c.padStart(10)).join("");
}

function printTable(results: readonly FileResult[]): void {
  console.log(row(["case file", "cases", "passing", "commands", "matching", "mismatch"]));
  const total = [0, 0, 0, 0, 0];
  for (const r of results) {
    const cells = [r.cases, r.passingCases.length, r.commands, r.matching, r.mismatches.length];
    cells.forEach((n, i) => total[i] += n);
    console.log(row([r.file, ...cells]));
  }
  console.log(row(["total", ...total]));
}

async function main(argv: string[]): Promise<number> {
  const pending = argv.includes("--pending");
  const verbose = argv.includes("--verbose");
  const named = argv.filter((a) => !a.startsWith("--")).map((a) => path.resolve(a));
  const files = named.length > 0
    ? named
    : caseFiles(path.join(HERE, pending ? "cases_pending" : "cases"));
  const missing = missingTools();
  if (missing !== undefined) {
    console.log(`resp_diff: cannot run: ${missing}`);
    return 2;
  }
  const servers: DiffServer[] = [];
  try {
    servers.push(await startRedis());
    servers.push(await startTinyKv());
    const results: FileResult[] = [];
    for (const f of files) results.push(await runFile(f, servers[0], servers[1]));
    const mismatches = results.flatMap((r) => r.mismatches);
    if (verbose || !pending) { for (const m of mismatches) console.log(formatMismatch(m)); }
    if (verbose) {
      for (const r of results) console.log(`${r.file}: passing: ${r.passingCases.join(", ")}`);
    }
    printTable(results);
    return mismatches.length === 0 ? 0 : 1;
  } finally {
    for (const s of servers) await s.stop();
  }
}

process.exit(await main(process.argv.slice(2)));
