/**
 * Architecture and style rules, enforced (docs/style.md §3 "Enforcement, not
 * goodwill"; TigerBeetle tidy.zig). Each rule names the files that break it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { VERSION } from "../src/version.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walk(rel));
    else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

const SOURCES = [...walk("src"), "mod.ts"].filter((f) => !f.startsWith("src/gen/"));
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");

/** Source without comments and string/template contents (keeps line structure). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/\/\/.*$/gm, "")
    .replace(
      /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g,
      (m) => m[0] + m.slice(1, -1).replace(/[^\n]/g, " ") + m[0],
    );
}

function imports(file: string): string[] {
  const specs: string[] = [];
  for (const m of read(file).matchAll(/(?:import|export)[^;]*?from\s+"([^"]+)"/g)) specs.push(m[1]);
  for (const m of read(file).matchAll(/import\(\s*"([^"]+)"\s*\)/g)) specs.push(m[1]);
  return specs;
}

/** The src-relative path an import resolves to, or the bare specifier. */
function resolveImport(file: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
}

function violations(files: string[], check: (file: string) => string[]): string[] {
  return files.flatMap((f) => check(f).map((v) => `${f}: ${v}`));
}

test("tidy: only src/platform touches Deno, Bun or node: modules", () => {
  const bad = violations(SOURCES.filter((f) => !f.startsWith("src/platform/")), (f) => {
    const c = code(read(f));
    const hits = [...c.matchAll(/\b(Deno|Bun)\.[A-Za-z]/g)].map((m) => m[0]);
    return [...hits, ...imports(f).filter((s) => s.startsWith("node:"))];
  });
  assert.deepEqual(bad, []);
});

test("tidy: src/raft/core is pure and synchronous and imports only util and limits", () => {
  const banned = /\b(async|await|Promise|setTimeout|setInterval|Date|performance|Math\.random)\b/g;
  const bad = violations(SOURCES.filter((f) => f.startsWith("src/raft/core/")), (f) => {
    const hits = [...code(read(f)).matchAll(banned)].map((m) => `uses ${m[0]}`);
    const badImports = imports(f).map((s) => resolveImport(f, s)).filter((t) =>
      !(t.startsWith("src/raft/core/") || t.startsWith("src/util/") || t === "src/limits.ts")
    );
    return [...hits, ...badImports.map((t) => `imports ${t}`)];
  });
  assert.deepEqual(bad, []);
});

test("tidy: storage and raft do not import upward", () => {
  const allowed: Record<string, (target: string) => boolean> = {
    "src/storage/": (t) =>
      t.startsWith("src/storage/") || t.startsWith("src/util/") || t === "src/limits.ts" ||
      t === "src/platform/types.ts",
    "src/raft/": (t) =>
      t.startsWith("src/raft/") || t.startsWith("src/util/") || t === "src/limits.ts" ||
      t.startsWith("src/platform/types.ts") || t.startsWith("src/gen/"),
  };
  const bad: string[] = [];
  for (const [dir, ok] of Object.entries(allowed)) {
    for (const f of SOURCES.filter((s) => s.startsWith(dir))) {
      for (const t of imports(f).map((s) => resolveImport(f, s))) {
        if (!ok(t)) bad.push(`${f}: imports ${t}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test("tidy: no any, @ts-ignore, FIXME, or console outside cli/ and main.ts", () => {
  const bad = violations(SOURCES, (f) => {
    const c = code(read(f));
    const raw = read(f);
    const out: string[] = [];
    if (/:\s*any\b|\bas any\b|<any>/.test(c)) out.push("uses any");
    if (/@ts-ignore|@ts-nocheck/.test(raw)) out.push("uses @ts-ignore");
    if (/\bFIXME\b/.test(raw)) out.push("leftover FIXME");
    if (!f.startsWith("src/cli/") && f !== "src/main.ts" && /\bconsole\./.test(c)) {
      out.push("uses console");
    }
    return out;
  });
  assert.deepEqual(bad, []);
});

test("tidy: lines are at most 100 columns and functions at most 70 lines", () => {
  const bad = violations(SOURCES, (f) => {
    const lines = read(f).split("\n");
    const out = lines.flatMap((l, i) =>
      l.length > 100 ? [`line ${i + 1} is ${l.length} columns`] : []
    );
    return [...out, ...longFunctions(code(read(f)))];
  });
  assert.deepEqual(bad, []);
});

/** Functions, methods and arrow bodies whose braces span more than 70 lines. */
function longFunctions(c: string): string[] {
  const lines = c.split("\n");
  const oneLine =
    /^\s*(export\s+)?(async\s+)?(function\s*\*?\s*\w+|(static\s+|private\s+|get\s+|set\s+|#)*[\w#]+\s*(<[^>]*>)?\s*\(.*\)\s*(:\s*[^={]+)?\s*\{$|.*=>\s*\{$)/;
  // A declaration whose parameter list spans lines: its body opens on a later line.
  const multiLine = /^\s*(export\s+)?(async\s+)?function\s*\*?\s*\w+\s*(<[^>]*>)?\($/;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(if|for|while|switch|catch|else)\b/.test(lines[i])) continue;
    let open = -1;
    if (oneLine.test(lines[i]) && /\{\s*$/.test(lines[i])) open = i;
    else if (multiLine.test(lines[i])) {
      for (let j = i + 1; j < Math.min(lines.length, i + 15); j++) {
        if (/\{\s*$/.test(lines[j]) && /^\s*\)/.test(lines[j])) {
          open = j;
          break;
        }
      }
    }
    if (open < 0) continue;
    let depth = 0;
    for (let j = open; j < lines.length; j++) {
      for (const ch of lines[j]) depth += ch === "{" ? 1 : ch === "}" ? -1 : 0;
      if (depth <= 0) {
        if (j - i + 1 > 70) out.push(`function at line ${i + 1} is ${j - i + 1} lines`);
        break;
      }
    }
  }
  return out;
}

test("tidy: top-level source folders do not import each other in a cycle", () => {
  const unit = (f: string) => f === "mod.ts" ? "mod" : f.split("/")[1].replace(/\.ts$/, "");
  const graph = new Map<string, Set<string>>();
  for (const f of SOURCES) {
    const from = unit(f);
    for (const t of imports(f).map((s) => resolveImport(f, s))) {
      if (!t.startsWith("src/")) continue;
      const to = unit(t);
      if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (n: string, stack: string[]) => {
    if (state.get(n) === "done") return;
    if (state.get(n) === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(n)), n].join(" -> "));
      return;
    }
    state.set(n, "visiting");
    for (const m of graph.get(n) ?? []) visit(m, [...stack, n]);
    state.set(n, "done");
  };
  for (const n of graph.keys()) visit(n, []);
  assert.deepEqual(cycles, []);
});

test("tidy: src/version.ts matches package.json", () => {
  const pkg = JSON.parse(read("package.json")) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test("tidy: the rules catch what they are meant to catch", () => {
  assert.match(code("const x = 1; // Deno.exit()\nDeno.exit(1)"), /Deno\.exit\(1\)/);
  assert.doesNotMatch(code('const s = "Deno.exit"; // Bun.serve'), /Deno\.|Bun\./);
  const long = "function f() {\n" + "  x();\n".repeat(70) + "}\n";
  assert.equal(longFunctions(long).length, 1);
  assert.equal(longFunctions("function f() {\n  x();\n}\n").length, 0);
  const multi = "export async function f(\n  a: number,\n): Promise<void> {\n" +
    "  x();\n".repeat(70) +
    "}\n";
  assert.equal(longFunctions(multi).length, 1);
  assert.equal(resolveImport("src/raft/core/a.ts", "../../storage/db.ts"), "src/storage/db.ts");
});
