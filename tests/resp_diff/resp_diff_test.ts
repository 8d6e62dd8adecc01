/**
 * TinyKV's RESP port against the real Redis, byte for byte: every case file in cases/ runs on a
 * throwaway redis-server and on one TinyKV node (the compiled binary), and every reply must agree
 * (docs/resp_compat.md). Cases for commands TinyKV does not have yet live in cases_pending/, run
 * by scripts/resp_diff.sh --pending, not here. Skips, saying why, without redis-server or
 * ./tinykv.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { caseFiles, formatMismatch, type Mismatch, runFile } from "./diff_runner.ts";
import { type DiffServer, missingTools, startRedis, startTinyKv } from "./diff_servers.ts";

const CASES = path.join(import.meta.dirname ?? ".", "cases");
const skip = missingTools();
if (skip !== undefined) console.log(`resp_diff_test: skipped: ${skip}`);

test("resp diff: every case in cases/ gets the same replies from TinyKV as from redis-server", {
  skip,
  timeout: 120_000,
}, async () => {
  const files = caseFiles(CASES);
  assert.ok(files.length > 0, `no case files in ${CASES}`);
  const servers: DiffServer[] = [];
  try {
    servers.push(await startRedis());
    servers.push(await startTinyKv());
    const [redis, tinykv] = servers;
    const mismatches: Mismatch[] = [];
    let commands = 0;
    for (const file of files) {
      const result = await runFile(file, redis, tinykv);
      assert.ok(result.cases > 0, `${result.file} has no cases`);
      commands += result.commands;
      mismatches.push(...result.mismatches);
    }
    const report = mismatches.map(formatMismatch).join("\n");
    assert.equal(mismatches.length, 0, `${mismatches.length} of ${commands} differ:\n${report}`);
  } finally {
    for (const s of servers) await s.stop();
  }
});
