/**
 * The Raft core is pure and synchronous (docs/design.md §1, docs/style.md §2.1): nothing
 * under src/raft/core may wait, read a clock, use global randomness, or import
 * from outside raft/core, util and limits.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const CORE = fileURLToPath(new URL("../../src/raft/core/", import.meta.url));
const FORBIDDEN = [
  /\basync\b/,
  /\bawait\b/,
  /\bPromise\b/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bDate\b/,
  /\bperformance\b/,
  /Math\.random/,
  /\bDeno\./,
  /\bBun\./,
];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = dir + name;
    if (statSync(p).isDirectory()) out.push(...files(p + "/"));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

test("raft core: no async, timers, clocks or global randomness", () => {
  const bad: string[] = [];
  for (const f of files(CORE)) {
    readFileSync(f, "utf8").split("\n").forEach((line, i) => {
      for (const re of FORBIDDEN) if (re.test(line)) bad.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, []);
});

test("raft core: imports only raft/core, util and limits.ts", () => {
  const bad: string[] = [];
  for (const f of files(CORE)) {
    const rel = f.slice(CORE.length);
    const depth = rel.split("/").length - 1;
    const up = "../".repeat(depth);
    for (const m of readFileSync(f, "utf8").matchAll(/from "([^"]+)"/g)) {
      const spec = m[1] ?? "";
      const ok = (spec.startsWith("./") || (depth > 0 && spec.startsWith("../") &&
        !spec.startsWith(`${up}../`))) ||
        spec.startsWith(`${up}../../util/`) || spec === `${up}../../limits.ts`;
      if (!ok) bad.push(`${rel}: ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});
