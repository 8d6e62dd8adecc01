/**
 * AUTH, HELLO AUTH, NOAUTH, WRONGPASS and NOPERM against the real Redis, byte for byte: the
 * cases of cases_auth/ run on a redis-server whose ACL file gives the users of
 * tests/auth/auth_fixture.ts the same rights, and on a TinyKV node started with `--auth-file`
 * (docs/resp.md, "Users and permissions", lists where the two must differ; those cases are in
 * tests/server/resp/resp_auth_test.ts instead).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { authFileText } from "../auth/auth_fixture.ts";
import { caseFiles, formatMismatch, type Mismatch, runFile } from "./diff_runner.ts";
import { type DiffServer, missingTools, startRedis, startTinyKv } from "./diff_servers.ts";

const CASES = path.join(import.meta.dirname ?? ".", "cases_auth");

/**
 * The fixture's roles in Redis's words. Node commands are Redis's @admin and @dangerous
 * categories; TinyKV refuses those to non-admins too (KEYS and FLUSHDB because they reach
 * every key).
 */
const REDIS_ACL = [
  "user default on >defaultpass %RW~public/* &public/* +@all -@admin -@dangerous",
  "user admin on >adminpass ~* &* +@all",
  "user alice on >alicepass ~app/* &app/* +@all -@admin -@dangerous",
  "user reader on >readerpass %R~app/* &app/* +@all -@admin -@dangerous",
].join("\n") + "\n";

const LOGIN = ["AUTH", "admin", "adminpass"];

test("resp diff: AUTH, NOAUTH, WRONGPASS and NOPERM as redis-server with the same users", {
  skip: BINARY_ONLY_SKIP || missingTools(),
  timeout: 120_000,
}, async () => {
  const dir = makeTempDir("tinykv-resp-auth-diff-");
  const servers: DiffServer[] = [];
  try {
    fs.writeFileSync(path.join(dir, "users.acl"), REDIS_ACL);
    fs.writeFileSync(path.join(dir, "auth.json"), await authFileText());
    const acl = ["--aclfile", path.join(dir, "users.acl"), "--enable-debug-command", "yes"];
    servers.push(await startRedis(acl, LOGIN));
    servers.push(await startTinyKv(["--auth-file", path.join(dir, "auth.json")], LOGIN));
    const [redis, tinykv] = servers;
    const mismatches: Mismatch[] = [];
    let commands = 0;
    for (const file of caseFiles(CASES)) {
      const result = await runFile(file, redis, tinykv);
      commands += result.commands;
      mismatches.push(...result.mismatches);
    }
    assert.ok(commands > 100, `only ${commands} commands ran`);
    const report = mismatches.map(formatMismatch).join("\n");
    assert.equal(mismatches.length, 0, `${mismatches.length} of ${commands} differ:\n${report}`);
  } finally {
    for (const s of servers) await s.stop();
    removeTempDir(dir);
  }
});
