/**
 * A real process writing with sync "always" is killed with SIGKILL at a
 * random moment; the reopened database holds every write it acknowledged,
 * and nothing it never wrote.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { openDb } from "../../mod.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

const CHILD = new URL("./sigkill_child.ts", import.meta.url).pathname;

function runAndKill(dir: string, killAfterMs: number): Promise<number[]> {
  const args = "Deno" in globalThis ? ["run", "-A", CHILD, dir] : [CHILD, dir];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const acked: number[] = [];
  let buf = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Uint8Array) => {
      buf += fromUtf8(chunk);
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "ready") setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        else if (line.startsWith("ack ")) acked.push(Number(line.slice(4)));
      }
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child exited without being killed: ${signal}`));
      else resolve(acked);
    });
  });
}

test(
  "SIGKILL during sync-always writes loses no acknowledged write",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinykv-sigkill-"));
    try {
      const everAcked = new Set<number>();
      for (const killAfterMs of [0, 1, 2].map(() => 30 + Math.floor(Math.random() * 600))) {
        for (const i of await runAndKill(dir, killAfterMs)) everAcked.add(i);
        const db = await openDb(dir);
        for (const i of everAcked) {
          const v = db.get(`key${String(i).padStart(8, "0")}`);
          assert.ok(v !== undefined, `acknowledged key ${i} is missing`);
        }
        for await (const [k, v] of db.scan()) {
          const i = Number(fromUtf8(k).slice(3));
          assert.equal(fromUtf8(v), `value-${i}-${"x".repeat(i % 300)}`, "never-written value");
        }
        await db.close();
      }
      assert.ok(everAcked.size > 0, "the child acknowledged some writes before being killed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
