/**
 * The nodes' own account of a chaos run: their election and leader-change
 * log lines (docs/logging.md), on the run's clock, and a check that every
 * failover the harness measured has a matching `leader.changed` line: a node
 * that logged a new leader (not the old one) between the fault and the moment
 * the harness saw that leader, give or take LOG_MATCH_SLACK_MS.
 */

/** Clock skew between a line's timestamp and the harness's view, and /status polling. */
export const LOG_MATCH_SLACK_MS = 500;

const RAFT_EVENTS = new Set(["election.started", "election.won", "leader.changed"]);

export interface NodeLogLine {
  readonly node: number;
  /** ms since the run started (the harness's clock). */
  readonly atMs: number;
  readonly event: string;
  readonly fields: Readonly<Record<string, string>>;
  /** The line without its timestamp and level. */
  readonly text: string;
}

/** A measured failover: at `at` the old leader was hit; the harness saw a new one `ms` later. */
export interface MeasuredFailover {
  readonly kind: string;
  readonly at: number;
  readonly ms: number | undefined;
  readonly oldLeader: number;
}

export interface LogCheck {
  readonly ok: boolean;
  readonly text: string;
}

const LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (DEBUG|INFO|WARN|ERROR) +(\S+)(.*)$/;
const FIELD = /(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g;

/** The Raft lines of one node's output (text format); `wallT0`: Unix ms when the run started. */
export function raftLinesOf(node: number, output: string, wallT0: number): NodeLogLine[] {
  const out: NodeLogLine[] = [];
  for (const raw of output.split("\n")) {
    const m = LINE.exec(raw);
    if (m === null || !RAFT_EVENTS.has(m[3])) continue;
    const fields: Record<string, string> = {};
    for (const f of m[4].matchAll(FIELD)) {
      fields[f[1]] = f[2].startsWith('"') ? JSON.parse(f[2]) : f[2];
    }
    out.push({
      node,
      atMs: Date.parse(m[1]) - wallT0,
      event: m[3],
      fields,
      text: `${m[3]}${m[4].replace(/ node=\d+/, "")}`, // the node is named in front
    });
  }
  return out;
}

/** Every node's Raft lines, oldest first. */
export function raftLines(outputs: ReadonlyMap<number, string>, wallT0: number): NodeLogLine[] {
  const all = [...outputs].flatMap(([id, log]) => raftLinesOf(id, log, wallT0));
  return all.sort((a, b) => a.atMs - b.atMs || a.node - b.node);
}

/** The `leader.changed` line that accounts for `f`, if any. */
export function matchingLine(
  f: MeasuredFailover,
  lines: readonly NodeLogLine[],
): NodeLogLine | undefined {
  if (f.ms === undefined) return undefined;
  const from = f.at - LOG_MATCH_SLACK_MS, to = f.at + f.ms + LOG_MATCH_SLACK_MS;
  return lines.find((l) =>
    l.event === "leader.changed" && l.atMs >= from && l.atMs <= to &&
    l.fields.new !== "none" && Number(l.fields.new) !== f.oldLeader
  );
}

/** Checks every measured failover against the lines; the text lists the lines and the result. */
export function checkFailovers(
  failovers: readonly MeasuredFailover[],
  lines: readonly NodeLogLine[],
  maxShown = 200,
): LogCheck {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const shown = lines.slice(0, maxShown).map((l) =>
    `  ${s(l.atMs).padStart(9)} node ${l.node} ${l.text}`
  );
  if (lines.length > maxShown) shown.push(`  ... ${lines.length - maxShown} more`);
  const missing: string[] = [];
  const matched: string[] = [];
  for (const f of failovers) {
    if (f.ms === undefined) continue; // no new leader measured: nothing to match
    const l = matchingLine(f, lines);
    const what = `${f.kind} at ${s(f.at)} (old leader ${f.oldLeader}, new after ${
      Math.round(f.ms)
    } ms)`;
    if (l === undefined) missing.push(what);
    else matched.push(`${what}: node ${l.node} logged new=${l.fields.new} at ${s(l.atMs)}`);
  }
  const measured = failovers.filter((f) => f.ms !== undefined).length;
  const verdict = missing.length === 0
    ? `log check: ${measured} measured failover(s), each with a matching leader.changed line`
    : `log check: NO leader.changed line for ${missing.join("; ")}`;
  const text = [
    `elections and leader changes in the nodes' logs (${lines.length} lines):`,
    ...shown,
    ...matched.map((m) => `  matched: ${m}`),
    verdict,
  ].join("\n");
  return { ok: missing.length === 0, text };
}
