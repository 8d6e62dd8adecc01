/** The summary printed at the end of every chaos run. */
import type { FaultRecord } from "./nemesis.ts";
import type { Verdict } from "./verify.ts";
import type { HistoryOp, Workload } from "./workload.ts";

export interface Summary {
  readonly faults: Record<string, number>;
  readonly ops: { ok: number; fail: number; unknown: number };
  readonly verdict: Verdict;
  /** Per leader fault: ms to a new leader, and to the first successful write invoked after it. */
  readonly failovers: { kind: string; leaderMs?: number; writeMs?: number }[];
  /** The longest stretch (ms) with no successful operation, and when it began. */
  readonly longestGapMs: number;
  readonly longestGapAt: number;
}

/** ms from `at` to the completion of the first successful write invoked after `at`. */
export function firstWriteAfter(w: Workload, at: number): number | undefined {
  let best: number | undefined;
  for (const o of w.okWriteCalls) {
    if (o.call >= at && (best === undefined || o.ret < best)) best = o.ret;
  }
  return best === undefined ? undefined : best - at;
}

export function longestGap(okTimes: readonly number[], start: number, end: number) {
  const times = [...okTimes].sort((a, b) => a - b);
  let gap = 0;
  let at = start;
  let prev = start;
  for (const t of [...times, end]) {
    if (t - prev > gap) {
      gap = t - prev;
      at = prev;
    }
    prev = Math.max(prev, t);
  }
  return { gap, at };
}

export function summarize(
  w: Workload,
  records: readonly FaultRecord[],
  verdict: Verdict,
  end: number,
): Summary {
  const faults: Record<string, number> = {};
  for (const r of records) faults[r.kind] = (faults[r.kind] ?? 0) + 1;
  const failovers = records.filter((r) => r.oldLeader !== undefined).map((r) => ({
    kind: r.kind,
    leaderMs: r.failoverMs,
    writeMs: firstWriteAfter(w, r.at),
  }));
  const { gap, at } = longestGap(w.okTimes, 0, end);
  return {
    faults,
    ops: { ...w.counts },
    verdict,
    failovers,
    longestGapMs: gap,
    longestGapAt: at,
  };
}

const ms = (x: number | undefined) => x === undefined ? "-" : `${Math.round(x)} ms`;

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function formatSummary(s: Summary, records: readonly FaultRecord[]): string {
  const v = s.verdict;
  const lines = [
    "faults injected:",
    ...records.map((r) =>
      `  ${(r.at / 1000).toFixed(1).padStart(6)} s  ${r.kind.padEnd(17)} ${r.detail}` +
      (r.failoverMs !== undefined ? `  (new leader after ${ms(r.failoverMs)})` : "")
    ),
    `faults by type: ${Object.entries(s.faults).map(([k, n]) => `${k}×${n}`).join(", ")}`,
    `operations: ok ${s.ops.ok}, failed-definitely ${s.ops.fail}, unknown ${s.ops.unknown}`,
    `linearizable: ${
      v.linearizable === true ? "yes" : v.linearizable === false ? "NO" : "unknown"
    }` +
    (v.failingKey !== undefined ? ` (first failing key ${v.failingKey})` : ""),
    `acknowledged writes lost: ${v.lost.length} of ${v.ackedInserts} acknowledged inserts` +
    (v.lost.length > 0 ? ` (${v.lost.slice(0, 10).join(" ")})` : ""),
    `replicas diverged on: ${v.diverged.length === 0 ? "none" : v.diverged.join(" ")}` +
    (v.caughtUp ? "" : " (some node had not caught up)"),
    `failover (new leader / first write): ${
      s.failovers.map((f) => `${f.kind} ${ms(f.leaderMs)} / ${ms(f.writeMs)}`).join("; ") || "-"
    }`,
    `longest unavailability: ${ms(s.longestGapMs)} from ${(s.longestGapAt / 1000).toFixed(1)} s`,
    `nodes that exited on their own: ${v.crashes.length === 0 ? "none" : v.crashes.join("; ")}`,
    ...(v.regions === undefined ? [] : [`regions at the end, on the first node: ${v.regions}`]),
  ];
  return lines.join("\n");
}

/** The ops around a failing key, for a bug report. */
export function excerpt(history: readonly HistoryOp[], key: string, max = 40): string {
  return history.filter((h) => h.key === key).slice(-max).map((h) =>
    `${h.call.toFixed(1)}..${h.ret.toFixed(1)} c${h.client} ${h.kind} ` +
    `${h.expected !== undefined ? `${h.expected}→` : ""}${h.value} ${h.outcome}` +
    (h.applied !== undefined ? ` applied=${h.applied}` : "")
  ).join("\n");
}
