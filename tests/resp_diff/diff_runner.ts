/**
 * Runs cases (case_file.ts) on redis-server and on TinyKV side by side and lists every step whose
 * replies disagree. Each case starts on an empty keyspace and fresh connections, so cases are
 * independent whatever ran before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Case, parseCases, type Step } from "./case_file.ts";
import { disagreement } from "./compare_replies.ts";
import { type RawReply, RespConn } from "./resp_conn.ts";
import type { DiffServer } from "./diff_servers.ts";

/** How long one reply may take before the step counts as unanswered. */
export const REPLY_TIMEOUT_MS = 2000;
/** Bounds the SCAN + DEL fallback of `emptyKeyspace` (keys a case leaves are few). */
const MAX_SCAN_ROUNDS = 1000;

export interface Mismatch {
  readonly file: string;
  readonly caseName: string;
  readonly line: number;
  /** The step as written (`SET k v`), with its connection when not the first. */
  readonly command: string;
  readonly redis: string;
  readonly tinykv: string;
  readonly why: string;
}

export interface FileResult {
  readonly file: string;
  readonly cases: number;
  /** Steps that send a command, and those whose replies agreed. */
  readonly commands: number;
  readonly matching: number;
  /** Cases whose every step agreed. */
  readonly passingCases: readonly string[];
  readonly mismatches: readonly Mismatch[];
}

type Outcome = RawReply | Error;

function show(outcomes: readonly Outcome[]): string {
  return outcomes.map((o) => o instanceof Error ? `<${o.message}>` : JSON.stringify(o.raw))
    .join(" ");
}

async function must(conn: RespConn, args: string[]): Promise<RawReply> {
  const r = await conn.call(args, REPLY_TIMEOUT_MS * 5);
  if (r instanceof Error) throw new Error(`${args.join(" ")}: ${r.message}`);
  return r;
}

/**
 * Empties the server's keyspace: FLUSHALL, or where that is an error (TinyKV before it has
 * FLUSHALL) SCAN and DEL every key of database 0. Throws if DBSIZE is not 0 afterwards.
 */
export async function emptyKeyspace(port: number, login?: readonly string[]): Promise<void> {
  const conn = await RespConn.connect(port);
  try {
    if (login !== undefined) await must(conn, [...login]);
    if ((await must(conn, ["FLUSHALL"])).reply.type === "-") {
      let cursor = "0";
      for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
        const items = (await must(conn, ["SCAN", cursor, "COUNT", "1000"])).reply.items ?? [];
        const keys = (items[1]?.items ?? []).map((k) => k.text ?? "");
        if (keys.length > 0) await must(conn, ["DEL", ...keys]);
        cursor = items[0]?.text ?? "0";
        if (cursor === "0") break;
      }
    }
    const size = await must(conn, ["DBSIZE"]);
    if (size.raw !== ":0\r\n") throw new Error(`keyspace not empty: DBSIZE ${size.raw.trim()}`);
  } finally {
    conn.close();
  }
}

/** One server's side of a case: its connections, opened on first use. */
class Side {
  readonly #conns = new Map<number, RespConn>();
  constructor(readonly server: DiffServer) {}

  async run(step: Step): Promise<Outcome[]> {
    let conn = this.#conns.get(step.conn);
    if (conn === undefined) {
      conn = await RespConn.connect(this.server.port);
      this.#conns.set(step.conn, conn);
    }
    if (step.raw !== undefined) conn.sendRaw(step.raw);
    else if (step.args.length > 0) conn.send(step.args);
    const out: Outcome[] = [];
    for (let i = 0; i < step.replies; i++) {
      const r = await conn.next(REPLY_TIMEOUT_MS);
      out.push(r);
      if (r instanceof Error) break;
    }
    return out;
  }

  close(): void {
    for (const c of this.#conns.values()) c.close();
  }
}

/** Whether the step sends something (a command or raw bytes): those are the counted ones. */
function sends(step: Step): boolean {
  return step.args.length > 0 || step.raw !== undefined;
}

function describe(step: Step): string {
  const words = step.args.map((a) => /^[\x21-\x7e]+$/.test(a) ? a : JSON.stringify(a));
  const text = step.raw !== undefined
    ? `~raw ${JSON.stringify(step.raw)}`
    : words.length > 0
    ? words.join(" ")
    : "~recv";
  return step.conn === 1 ? text : `@${step.conn} ${text}`;
}

/** Why the two sides' outcomes of one step disagree, or undefined. */
function compareStep(step: Step, redis: Outcome[], tinykv: Outcome[]): string | undefined {
  if (redis.length !== tinykv.length) return "one server did not reply";
  for (let i = 0; i < redis.length; i++) {
    const why = disagreement(step.rule, redis[i], tinykv[i]);
    if (why !== undefined) return redis.length > 1 ? `reply ${i + 1}: ${why}` : why;
  }
  return undefined;
}

/** Runs one case on both servers; returns its mismatches and how many commands agreed. */
export async function runCase(
  file: string,
  c: Case,
  redis: DiffServer,
  tinykv: DiffServer,
): Promise<{ matching: number; mismatches: Mismatch[] }> {
  await Promise.all([
    emptyKeyspace(redis.port, redis.login),
    emptyKeyspace(tinykv.port, tinykv.login),
  ]);
  const sides = [new Side(redis), new Side(tinykv)];
  const mismatches: Mismatch[] = [];
  let matching = 0;
  try {
    for (const step of c.steps) {
      if (step.sleepMs > 0) {
        await new Promise((r) => setTimeout(r, step.sleepMs));
        continue;
      }
      const [r, t] = await Promise.all(sides.map((s) => s.run(step)));
      const why = compareStep(step, r, t);
      if (why === undefined) {
        if (sends(step)) matching++;
        continue;
      }
      const command = describe(step);
      mismatches.push({ file, caseName: c.name, line: step.line, command, why, ...shown(r, t) });
      // A server that did not answer leaves later replies out of step: the case stops here.
      if ([...r, ...t].some((o) => o instanceof Error)) break;
    }
  } finally {
    for (const s of sides) s.close();
  }
  return { matching, mismatches };
}

function shown(redis: Outcome[], tinykv: Outcome[]): { redis: string; tinykv: string } {
  return { redis: show(redis), tinykv: show(tinykv) };
}

/** Runs every case of a file. */
export async function runFile(
  file: string,
  redis: DiffServer,
  tinykv: DiffServer,
): Promise<FileResult> {
  const cases = parseCases(fs.readFileSync(file, "utf8"), path.basename(file));
  const name = path.relative(path.dirname(path.dirname(file)), file);
  let commands = 0;
  let matching = 0;
  const passingCases: string[] = [];
  const mismatches: Mismatch[] = [];
  for (const c of cases) {
    commands += c.steps.filter(sends).length;
    const result = await runCase(name, c, redis, tinykv);
    matching += result.matching;
    mismatches.push(...result.mismatches);
    if (result.mismatches.length === 0) passingCases.push(c.name);
  }
  return { file: name, cases: cases.length, commands, matching, passingCases, mismatches };
}

/** The case files of a directory, sorted. */
export function caseFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".txt")).sort().map((f) => path.join(dir, f));
}

export function formatMismatch(m: Mismatch): string {
  return `${m.file}:${m.line} [${m.caseName}] ${m.command}\n` +
    `    redis:  ${m.redis}\n    tinykv: ${m.tinykv}\n    (${m.why})`;
}
