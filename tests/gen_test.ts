/**
 * The committed protobuf code in src/gen/ must be exactly what `buf generate`
 * makes from proto/ (run `npm run gen` after editing a .proto file).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { makeTempDir, removeTempDir } from "./helpers/temp_dir.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.set(r, fs.readFileSync(path.join(dir, r), "utf8"));
    }
  };
  walk("");
  return out;
}

test("gen: src/gen matches a fresh `buf generate` of proto/", () => {
  const out = makeTempDir("tinykv-gen-");
  try {
    const buf = path.join(ROOT, "node_modules", ".bin", "buf");
    const env = {
      ...process.env,
      PATH: `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
    };
    execFileSync(buf, ["generate", "-o", out], { cwd: ROOT, env, stdio: "pipe" });
    const fresh = files(path.join(out, "src", "gen"));
    const committed = files(path.join(ROOT, "src", "gen"));
    assert.ok(fresh.size > 0, "buf generated files");
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort());
    for (const [name, text] of fresh) {
      assert.equal(committed.get(name), text, `src/gen/${name} is stale: run npm run gen`);
    }
  } finally {
    removeTempDir(out);
  }
});
