/**
 * A minimal data-driven test runner in the style of cockroachdb/datadriven
 * (used by etcd-io/raft): a file holds commands, each followed by `----` and
 * its expected output, ended by a blank line. With TINYKV_REWRITE=1 (or
 * `--rewrite` in the arguments) the expected outputs are regenerated in place.
 */
import { readFileSync, writeFileSync } from "node:fs";
import assert from "node:assert/strict";
import process from "node:process";

export interface Command {
  readonly name: string;
  /** Positional arguments (`3`, `foo`). */
  readonly args: readonly string[];
  /** key=value arguments; `voters=(1,2,3)` becomes ["1","2","3"]. */
  readonly kv: ReadonlyMap<string, readonly string[]>;
  readonly line: number;
  readonly text: string;
}

interface Block {
  readonly cmd: Command;
  readonly expected: string;
}

function parseCommand(text: string, line: number): Command {
  const tokens = text.trim().match(/\S+=\([^)]*\)|\S+/g) ?? [];
  const [name = "", ...rest] = tokens;
  const args: string[] = [];
  const kv = new Map<string, string[]>();
  for (const t of rest) {
    const eq = t.indexOf("=");
    if (eq <= 0) {
      args.push(t);
      continue;
    }
    let v = t.slice(eq + 1);
    if (v.startsWith("(") && v.endsWith(")")) v = v.slice(1, -1);
    kv.set(t.slice(0, eq), v === "" ? [] : v.split(/[,\s]+/));
  }
  return { name, args, kv, line, text: text.trim() };
}

function parse(content: string): { blocks: Block[]; prefix: string[][] } {
  const lines = content.split("\n");
  const blocks: Block[] = [];
  const prefix: string[][] = []; // comment lines before each block, kept on rewrite
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i] ?? "";
    if (l.trim() === "" || l.startsWith("#")) {
      if (l.startsWith("#")) comments.push(l);
      i++;
      continue;
    }
    const cmdLine = i + 1;
    i++;
    assert.equal(lines[i], "----", `line ${i + 1}: expected ---- after command`);
    i++;
    const out: string[] = [];
    while (i < lines.length && (lines[i] ?? "") !== "") out.push(lines[i++] ?? "");
    blocks.push({ cmd: parseCommand(l, cmdLine), expected: out.join("\n") });
    prefix.push(comments);
    comments = [];
  }
  return { blocks, prefix };
}

export function rewriteRequested(): boolean {
  return process.env["TINYKV_REWRITE"] === "1" || process.argv.includes("--rewrite");
}

/** Runs every command of `path` through `handler` and compares the outputs. */
export function runFile(path: string, handler: (cmd: Command) => string): void {
  const { blocks, prefix } = parse(readFileSync(path, "utf8"));
  const rewrite = rewriteRequested();
  const out: string[] = [];
  for (const [b, { cmd, expected }] of blocks.entries()) {
    const lines = handler(cmd).split("\n").filter((l) => l !== "");
    // A blank line ends a block, so an empty output is spelled "ok".
    const actual = lines.length === 0 ? "ok" : lines.join("\n");
    const comments = prefix[b] ?? [];
    out.push(
      [...comments, cmd.text, "----", actual].filter((l, k) => k > 0 || l !== "").join(
        "\n",
      ),
    );
    if (!rewrite) {
      assert.equal(actual, expected, `${path}:${cmd.line}: ${cmd.text}`);
    }
  }
  if (rewrite) writeFileSync(path, out.join("\n\n") + "\n");
}
