/**
 * An operator: the steps that change one region's replicas or leader, run by
 * the region's own Raft group one membership change at a time
 * (docs/decisions/0014-regions.md §7). A replica move is
 *
 *   add-learner T → promote T and demote S in one joint change → remove S
 *
 * so the region never has fewer voters than it started with, and the new
 * replica votes only once it has caught up. The region's leader runs each step
 * and refuses one that would leave its recently active voters without a
 * majority of the new configuration (the operator then waits or times out).
 *
 * An operator advances when a region report shows its current step done; it
 * fails when the region merged under it (its range grew: the operator was
 * chosen for a region that no longer exists as it was) or it took too long. A
 * split leaves it running: the region keeps its id and replicas over a part of
 * its range, and the child inherits the replicas as they are, the learner of a
 * move in flight among them, and goes on with the same move (`inheritedMove`).
 * Cancelling moves at each split made a region that splits under steady writes
 * drop every move it started (its learner added, then removed, again and again)
 * and never move; leaving the child's learner to the replica checker removed it
 * (the child has its voters) and the balance later added it again.
 */
import type { RegionDescriptor } from "../region/descriptor.ts";
import type { RegionInfo } from "./cluster_view.ts";
import { compareBytes } from "../util/bytes.ts";

export type Step =
  | { readonly kind: "add-learner"; readonly node: number }
  /** One joint change: `promote` becomes a voter, `demote` leaves the voters (0 = none). */
  | { readonly kind: "promote"; readonly promote: number; readonly demote: number }
  | { readonly kind: "remove"; readonly node: number }
  | { readonly kind: "transfer-leader"; readonly to: number };

export type OperatorKind = "add" | "move" | "remove" | "leader";

export interface Operator {
  readonly regionId: number;
  readonly kind: OperatorKind;
  /** Why it was made, for logs and the dashboard ("node 3 down", "balance regions"). */
  readonly reason: string;
  readonly steps: readonly Step[];
  /** The region's range version when made. */
  readonly version: number;
  /** The region's range when made: a range that grew past it (a merge) cancels the operator. */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly createdMs: number;
  /**
   * For a move that aligns the region's replicas with its neighbour's so the two can merge
   * (merge_checker.ts): the neighbour and its epoch when made. The move is dropped once either
   * region's epoch moved (a split, a merge, the neighbour's own membership change).
   */
  readonly partner?: Partner;
}

/** The region a merge alignment copies its replicas from, at the epoch it had. */
export interface Partner {
  readonly regionId: number;
  readonly version: number;
  readonly confVer: number;
}

function role(d: RegionDescriptor, node: number): "voter" | "learner" | undefined {
  return d.replicas.find((p) => p.nodeId === node)?.role;
}

/** Whether the region as reported has done `step`. */
export function stepDone(step: Step, info: RegionInfo): boolean {
  const d = info.descriptor;
  switch (step.kind) {
    case "add-learner":
      return role(d, step.node) !== undefined;
    case "promote":
      return (step.promote === 0 || role(d, step.promote) === "voter") &&
        (step.demote === 0 || role(d, step.demote) !== "voter");
    case "remove":
      return role(d, step.node) === undefined;
    case "transfer-leader":
      return info.leader === step.to;
  }
}

/** The nodes an operator adds or removes (for the per-node limit on moves in flight). */
export function nodesTouched(op: Operator): number[] {
  const out = new Set<number>();
  for (const s of op.steps) {
    if (s.kind === "add-learner" || s.kind === "remove") out.add(s.node);
    else if (s.kind === "promote" && s.promote !== 0) out.add(s.promote);
  }
  return [...out];
}

/** Whether the region's range is still within the one `op` was made for (only splits since). */
function rangeKept(op: Operator, d: RegionDescriptor): boolean {
  return d.epoch.version === op.version || holds(op, d);
}

/**
 * The step to run next for `op` given the region's latest report: undefined
 * when every step is done; "stale" when the region merged since.
 */
export function currentStep(op: Operator, info: RegionInfo): Step | "stale" | undefined {
  if (!rangeKept(op, info.descriptor)) return "stale";
  for (const step of op.steps) if (!stepDone(step, info)) return step;
  return undefined;
}

/** The steps that move a voter from `from` to `to`, leading with a transfer when `from` leads. */
export function moveSteps(info: RegionInfo, from: number, to: number): Step[] {
  const steps: Step[] = [];
  if (info.leader === from) {
    const other = info.descriptor.replicas.find((p) =>
      p.role === "voter" && p.nodeId !== from && info.caughtUp.includes(p.nodeId)
    );
    if (other !== undefined) steps.push({ kind: "transfer-leader", to: other.nodeId });
  }
  steps.push({ kind: "add-learner", node: to });
  steps.push({ kind: "promote", promote: to, demote: from });
  steps.push({ kind: "remove", node: from });
  return steps;
}

/**
 * The steps that take voter `node` out of the region: hand off the leadership
 * first when it leads (to a caught-up voter; undefined when there is none),
 * then leave the voters in a joint change, then leave the region.
 */
export function removeSteps(info: RegionInfo, node: number): Step[] | undefined {
  const steps: Step[] = [];
  if (info.leader === node) {
    const other = info.descriptor.replicas.find((p) =>
      p.role === "voter" && p.nodeId !== node && info.caughtUp.includes(p.nodeId)
    );
    if (other === undefined) return undefined;
    steps.push({ kind: "transfer-leader", to: other.nodeId });
  }
  steps.push({ kind: "promote", promote: 0, demote: node }, { kind: "remove", node });
  return steps;
}

/**
 * The move a split left half done in its child: region `info` has no operator of its own but a
 * learner that an operator in flight, made for a range holding the child's (the parent's, before
 * the split), adds, promotes or takes out. The child goes on with that operator's steps, done ones
 * skipped (a move's leadership handoff made again for the child's own leader). Undefined when no
 * such operator is in flight (a learner left behind: the replica checker's). The 1M-key e2e, with
 * regions splitting under writes while nodes joined, saw operators add a learner 175 times, remove
 * one 161 times and promote 16 (decision 0014, "Next" 4c).
 */
export function inheritedMove(
  ops: Iterable<Operator>,
  info: RegionInfo,
): { kind: OperatorKind; reason: string; steps: Step[] } | undefined {
  const d = info.descriptor;
  const learner = d.replicas.find((p) => p.role === "learner")?.nodeId;
  if (learner === undefined) return undefined;
  for (const op of ops) {
    if (op.regionId === d.id || op.partner !== undefined || !holds(op, d)) continue;
    if (!op.steps.some((s) => touches(s, learner))) continue;
    const move = op.steps.find((s) => s.kind === "promote" && s.promote !== 0 && s.demote !== 0);
    const steps = move?.kind === "promote"
      ? moveSteps(info, move.demote, move.promote)
      : op.steps.filter((s) => s.kind !== "transfer-leader");
    return { kind: op.kind, reason: `${op.reason} (region ${op.regionId} split)`, steps };
  }
  return undefined;
}

function touches(s: Step, node: number): boolean {
  switch (s.kind) {
    case "add-learner":
    case "remove":
      return s.node === node;
    case "promote":
      return s.promote === node || s.demote === node;
    case "transfer-leader":
      return false;
  }
}

/** Whether `d`'s range lies within the range `op` was made for. */
function holds(op: Operator, d: RegionDescriptor): boolean {
  if (compareBytes(d.start, op.start) < 0) return false;
  return op.end.length === 0 || (d.end.length > 0 && compareBytes(d.end, op.end) <= 0);
}
