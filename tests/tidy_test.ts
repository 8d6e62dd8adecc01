/**
 * Architecture and style rules, enforced (docs/style.md §3: rules hold because a
 * test fails, as in tigerbeetle's tidy.zig). Each rule names the files that break it.
 * The map of allowed imports below is drawn in docs/architecture.md.
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
/** Every source file the import map covers, generated code included. */
const MAPPED = [...walk("src"), "mod.ts"];
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

test("tidy: src/raft/core is pure and synchronous (its imports: the map below)", () => {
  const banned = /\b(async|await|Promise|setTimeout|setInterval|Date|performance|Math\.random)\b/g;
  const bad = violations(SOURCES.filter((f) => f.startsWith("src/raft/core/")), (f) => {
    return [...code(read(f)).matchAll(banned)].map((m) => `uses ${m[0]}`);
  });
  assert.deepEqual(bad, []);
});

/**
 * Code outside src/raft/ uses the Raft core only through its message types and its membership
 * changes; the rest (roles, progress, config) stays behind the driver in src/raft/.
 */
const RAFT_CORE_SURFACE = ["src/raft/core/messages.ts", "src/raft/core/confchange/"];

/**
 * The units of the source tree, each a folder (ending in "/") or a single file. A file belongs to
 * the longest unit that contains it: src/raft/core/log.ts to "src/raft/core/", not "src/raft/";
 * src/platform/sim/* to "src/platform/sim/"; the other files of src/platform/ (the runtime
 * adapters) to "src/platform/" except types.ts, which is a unit of its own.
 *
 * ALLOWED_IMPORTS is the one map of what each unit may import, drawn in docs/architecture.md. An
 * entry is another unit (any file in it), or something narrower that is not a unit: one file or
 * a folder inside a unit ("src/raft/core/confchange/"), or an external specifier ("hono"; "node:"
 * allows every node: module). A unit may always import its own files. The map is exactly the
 * intended graph: an edge nobody uses is not listed, so a new dependency is a decision made here.
 */
const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  "src/util/": [],
  "src/version.ts": [],
  "src/limits.ts": ["src/util/"],
  "src/limits_ops.ts": ["src/limits_placement.ts"],
  "src/limits_placement.ts": [],
  "src/limits_storage.ts": [],
  // Users, passwords, tokens and permissions (docs/decisions/0011): no I/O but a file read.
  "src/auth/": ["src/platform/types.ts", "src/limits.ts", "src/limits_ops.ts", "src/util/"],
  "src/platform/types.ts": ["src/util/"],
  // The runtime adapters: the only code that touches Deno, Bun and node: (rule below).
  "src/platform/": ["src/platform/types.ts", "src/util/", "node:"],
  // settle.ts waits for a macrotask boundary with node:timers' setImmediate (measured fastest).
  "src/platform/sim/": ["src/platform/types.ts", "src/util/", "node:timers"],
  "src/storage/": [
    "src/platform/types.ts",
    "src/limits.ts",
    "src/limits_ops.ts",
    "src/limits_storage.ts",
    "src/util/",
  ],
  "src/raft/core/": ["src/limits.ts", "src/util/"],
  // Regions: descriptors, epochs and the route map (docs/decisions/0014-regions.md); pure.
  "src/region/": ["src/util/"],
  // The placement service's view and schedulers (decision 0014 §7): pure, fed by reports; its
  // replicated state machine sees Raft entries and snapshots (the core's message types).
  "src/placement/": [
    "src/raft/core/messages.ts",
    "src/region/",
    "src/limits.ts",
    "src/limits_ops.ts",
    "src/util/",
  ],
  "src/raft/": [
    "src/raft/core/",
    "src/platform/types.ts",
    "src/platform/fs_tree.ts", // the log migration clears its temporary directory
    "src/region/", // a split child's first configuration is its descriptor's replicas
    "src/limits.ts",
    "src/limits_ops.ts",
    "src/util/",
  ],
  // The state machine sees entries as bytes: it needs the engine, not Raft.
  "src/kv/": [
    "src/storage/",
    "src/gen/",
    "src/region/", // a region's state machine applies its descriptor (splits, key checks)
    "src/txn/", // and the Percolator requests of the region (region_txn_apply.ts)
    "src/wire/put_request_decode.ts", // a put's entry holds the client's PutRequest as sent
    "src/limits.ts",
    "src/limits_ops.ts", // the RESP write batch bound its apply enforces
    "src/util/",
    "@bufbuild/protobuf",
  ],
  // Timestamps and Percolator transactions (docs/transactions.md): pure, over an abstract store.
  "src/txn/": ["src/limits.ts", "src/limits_ops.ts", "src/util/"],
  // Codecs for what travels on the protobuf port, shared by server and client.
  "src/wire/": [
    ...RAFT_CORE_SURFACE,
    "src/gen/",
    "src/limits.ts",
    "src/util/",
    "@bufbuild/protobuf",
  ],
  // The leader's lease deadlines (docs/coordination.md): a clock and the lease table, no I/O.
  "src/server/leases/": ["src/kv/", "src/platform/types.ts", "src/limits.ts", "src/util/"],
  // A node is also a client of its peers (forwarding to the leader, the cluster view).
  "src/server/": [
    "src/server/watch/",
    "src/server/pubsub/",
    "src/server/leases/",
    "src/kv/",
    "src/raft/",
    ...RAFT_CORE_SURFACE,
    "src/storage/",
    "src/wire/",
    "src/client/",
    "src/auth/",
    "src/gen/",
    "src/region/",
    // The placement service runs in the node (src/server/placement/): its state machine and
    // schedulers, and the timestamp oracle on its leader.
    "src/placement/",
    "src/txn/",
    "src/platform/types.ts",
    "src/platform/fs_tree.ts",
    "src/limits.ts",
    "src/limits_ops.ts",
    "src/version.ts",
    "src/util/",
    "hono",
    "@bufbuild/protobuf",
  ],
  // The watch hub sees the store through an interface (watch_types.ts), never the engine.
  "src/server/watch/": [
    "src/kv/key_state.ts",
    "src/platform/types.ts",
    "src/limits.ts",
    "src/util/",
  ],
  // Pub/sub subscriptions of a node: fed the applied events, matched with Redis's globs.
  "src/server/pubsub/": [
    "src/kv/redis/glob.ts",
    "src/kv/redis/storage.ts",
    "src/limits.ts",
    "src/util/",
  ],
  // The route cache is a RegionMap (docs/regions.md#routing); its bounds are in limits_ops.ts.
  "src/client/": [
    "src/wire/",
    "src/gen/",
    "src/region/",
    "src/platform/types.ts",
    "src/limits.ts",
    "src/limits_ops.ts",
    "src/util/",
    "@bufbuild/protobuf",
  ],
  // The command parses its flags with the platform's parseArgs; it never picks a platform.
  // `tinykv sim` (docs/design.md §3) runs the whole-node simulation in src/sim/.
  "src/cli/": [
    "src/sim/",
    "src/server/",
    "src/client/",
    "src/auth/",
    "src/limits_ops.ts",
    "src/platform/types.ts",
    "src/platform/args.ts",
    "src/version.ts",
    // Input the CLI reads itself (a txn on stdin) is bounded by the documented limits.
    "src/limits.ts",
    "src/util/",
  ],
  "src/gen/": ["@bufbuild/protobuf", "@bufbuild/protobuf/codegenv2"],
  // The whole-node deterministic simulator (docs/design.md §1, docs/simulation.md): real
  // nodes on the simulated platform.
  "src/sim/": [
    "src/server/",
    "src/client/",
    "src/kv/",
    "src/raft/",
    "src/storage/",
    "src/wire/",
    "src/platform/types.ts",
    "src/platform/sim/",
    "src/gen/",
    "src/limits.ts",
    // The placement heartbeat, which bounds how soon a removed replica is dropped.
    "src/limits_ops.ts",
    "src/util/",
  ],
  // The entry points: the only code that picks a platform (detect.ts).
  "src/main.ts": ["src/cli/", "src/platform/detect.ts"],
  // The storage engine's background thread (src/storage/jobs/).
  "src/storage_worker.ts": ["src/storage/", "src/platform/detect.ts"],
  "mod.ts": [
    "src/storage/",
    "src/client/",
    "src/platform/detect.ts",
    "src/limits.ts",
    "src/version.ts",
    "src/util/",
  ],
};

const UNITS = Object.keys(ALLOWED_IMPORTS);

/** The unit a file belongs to (the longest unit that contains it), or undefined. */
function unitOf(file: string): string | undefined {
  let best: string | undefined;
  for (const unit of UNITS) {
    const contains = unit.endsWith("/") ? file.startsWith(unit) : file === unit;
    if (contains && (best === undefined || unit.length > best.length)) best = unit;
  }
  return best;
}

/** Whether an import of `target` (a resolved path or a bare specifier) matches an entry. */
function allows(entry: string, target: string): boolean {
  if (entry in ALLOWED_IMPORTS) return unitOf(target) === entry;
  if (entry.endsWith(":") || entry.endsWith("/")) return target.startsWith(entry);
  return target === entry;
}

/** Every import in `files` that the map does not allow, as "importer -> imported". */
function forbiddenImports(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = unitOf(file);
    if (from === undefined) {
      out.push(`${file} is in no unit of ALLOWED_IMPORTS`);
      continue;
    }
    for (const target of imports(file).map((s) => resolveImport(file, s))) {
      if (unitOf(target) === from) continue;
      if (ALLOWED_IMPORTS[from].some((entry) => allows(entry, target))) continue;
      out.push(`${file} -> ${target}`);
    }
  }
  return out;
}

test("tidy: every import in src/ and mod.ts follows the map in ALLOWED_IMPORTS", () => {
  assert.deepEqual(forbiddenImports(MAPPED), []);
});

test("tidy: the import map itself has no cycle and names only its own units", () => {
  const graph = new Map<string, Set<string>>();
  for (const [unit, entries] of Object.entries(ALLOWED_IMPORTS)) {
    const targets = entries.flatMap((e) => {
      const u = e.includes(":") || !e.startsWith("src/") ? undefined : unitOf(e);
      return u === undefined || u === unit ? [] : [u];
    });
    graph.set(unit, new Set(targets));
  }
  assert.deepEqual(findCycles(graph), []);
  const entries = Object.values(ALLOWED_IMPORTS).flat().filter((e) => e.startsWith("src/"));
  assert.deepEqual(entries.filter((e) => unitOf(e) === undefined), [], "entries in no unit");
  const doc = read("docs/architecture.md");
  assert.deepEqual(UNITS.filter((u) => !doc.includes(`\`${u.replace(/^src\//, "")}\``)), []);
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

/** The examples users copy (examples/): client code, held to the same size rules. */
const EXAMPLES = walk("examples");

test("tidy: lines are at most 100 columns and functions at most 70 lines", () => {
  const bad = violations([...SOURCES, ...EXAMPLES], (f) => {
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

test("tidy: examples import only the library (mod.ts) and each other, and use no any", () => {
  const bad = violations(EXAMPLES, (f) => {
    const out = imports(f).map((s) => resolveImport(f, s)).filter((t) =>
      t !== "mod.ts" && !t.startsWith("examples/")
    ).map((t) => `imports ${t}`);
    if (/:\s*any\b|\bas any\b|<any>/.test(code(read(f)))) out.push("uses any");
    return out;
  });
  assert.ok(EXAMPLES.length > 0);
  assert.deepEqual(bad, []);
});

test("tidy: units do not import each other in a cycle", () => {
  const graph = new Map<string, Set<string>>();
  for (const f of MAPPED) {
    const from = unitOf(f) ?? f;
    for (const t of imports(f).map((s) => resolveImport(f, s))) {
      if (!t.startsWith("src/")) continue;
      const to = unitOf(t) ?? t;
      if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  assert.deepEqual(findCycles(graph), []);
});

/** Every cycle found by a depth-first walk, as "a -> b -> a". */
function findCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
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
  return cycles;
}

/**
 * Files that no other file imports, among src/, mod.ts, tests/ and bench/. A test counts as an
 * importer (the simulator's adapters and the interaction tests' describe helpers exist for test
 * harnesses, and that is a use), except a file's own unit test at its mirrored path
 * (tests/x/y_test.ts for src/x/y.ts): code that only its own test reaches is dead code with a
 * test, and is reported as dead.
 */
function unimportedFiles(): string[] {
  const importers = new Map<string, Set<string>>();
  const all = [...walk("src"), "mod.ts", ...walk("tests"), ...walk("bench"), ...EXAMPLES];
  for (const file of all) {
    for (const target of imports(file).map((s) => resolveImport(file, s))) {
      importers.set(target, (importers.get(target) ?? new Set()).add(file));
    }
  }
  return walk("src").filter((file) => {
    if (ENTRY_POINTS.includes(file)) return false;
    const ownTest = file.replace(/^src\//, "tests/").replace(/\.ts$/, "_test.ts");
    const users = [...(importers.get(file) ?? [])].filter((f) => f !== file && f !== ownTest);
    return users.length === 0;
  });
}

/** Files run directly rather than imported: the binary's entry, the library's, the worker's. */
const ENTRY_POINTS = ["src/main.ts", "mod.ts", "src/storage_worker.ts"];

test("tidy: every file in src/ is imported by something or is an entry point", () => {
  assert.deepEqual(unimportedFiles(), []);
});

/** About one concept per file: a file longer than this has usually grown a second one. */
const FILE_LINES_MAX = 300;

/**
 * Files over FILE_LINES_MAX when the cap came in, with their line count then. A listed file may
 * shrink but not grow; once it is at or under the cap its entry must go. Never add an entry.
 */
const LONG_FILES: Readonly<Record<string, number>> = {
  "src/raft/core/raft.ts": 355,
  "src/raft/node.ts": 392,
  "src/server/node/node_service.ts": 371,
  "src/raft/log_store.ts": 396,
  "src/platform/sim/sim_file_system.ts": 315,
};

const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

test(`tidy: files in src/ have at most ${FILE_LINES_MAX} lines (src/gen/ aside)`, () => {
  const bad = violations(SOURCES.filter((f) => f.startsWith("src/")), (f) => {
    const lines = lineCount(read(f));
    const max = LONG_FILES[f] ?? FILE_LINES_MAX;
    return lines > max ? [`${lines} lines (at most ${max})`] : [];
  });
  const stale = Object.keys(LONG_FILES).filter((f) =>
    !fs.existsSync(path.join(ROOT, f)) || lineCount(read(f)) <= FILE_LINES_MAX
  );
  assert.deepEqual(bad, []);
  assert.deepEqual(stale, [], "LONG_FILES entries now within the cap: remove them");
});

/**
 * Citations of documents that are not in the repository: the design, style and toolchain notes
 * the project started from, now docs/design.md, docs/style.md and docs/decisions/0001. The words
 * are assembled so that this file does not match itself; a citation may be wrapped, with the
 * section sign at the start of the next comment line.
 */
const OUTSIDE_CITATION = new RegExp(
  [
    String.raw`\b(DESIGN|STYLE)(\.md)?\s*(\*|\/\/|#)?\s*§`,
    String.raw`\b(DESIGN|STYLE|TOOLCHAIN)\.md\b`,
    String.raw`\.\.\/shared\b`,
    String.raw`\/shared\/`,
  ].join("|"),
);

test("tidy: no citation points outside the repository", () => {
  const texts = [
    ...walk("src"),
    ...walk("tests"),
    ...walk("bench"),
    ...walkAll("examples"),
    ...walkAll("docs"),
    ...walkAll("proto"),
    ...walkAll("scripts"),
    "README.md",
    "mod.ts",
    "compile.sh",
  ];
  const bad = violations(texts, (f) =>
    read(f).split("\n").flatMap((line, i, lines) => {
      const withNext = `${line}\n${lines[i + 1] ?? ""}`;
      const m = OUTSIDE_CITATION.exec(withNext);
      return m && m.index <= line.length ? [`line ${i + 1} cites ${m[0].trim()}`] : [];
    }));
  assert.deepEqual(bad, []);
});

/** Every text file under a folder (docs, proto, scripts), not only TypeScript. */
function walkAll(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walkAll(rel));
    else if (/\.(md|ts|proto|sh|txt)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

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
  assert.equal(unitOf("src/raft/core/tracker/progress.ts"), "src/raft/core/");
  assert.equal(unitOf("src/platform/sim/sim_clock.ts"), "src/platform/sim/");
  assert.equal(unitOf("src/platform/deno.ts"), "src/platform/");
  assert.equal(unitOf("src/nowhere/x.ts"), undefined);
  assert.ok(!allows("src/raft/", "src/raft/core/raft.ts"), "a unit entry is that unit only");
  assert.ok(allows("src/raft/core/confchange/", "src/raft/core/confchange/changer.ts"));
  assert.ok(!allows("src/raft/core/messages.ts", "src/raft/core/raft.ts"));
  assert.ok(allows("node:", "node:fs") && !allows("hono", "honox"));
  const design = ["DESIGN", "§2.4"];
  assert.match(`(${design.join(" ")})`, OUTSIDE_CITATION);
  assert.match(` * group commit (${design[0]}\n * ${design[1]})`, OUTSIDE_CITATION);
  assert.match(`see ${"TOOLCHAIN"}.md`, OUTSIDE_CITATION);
  assert.doesNotMatch("docs/design.md §2.4, docs/style.md §2.14", OUTSIDE_CITATION);
});
