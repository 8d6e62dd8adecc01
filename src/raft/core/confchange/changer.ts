/**
 * Computes the configuration that results from a `ConfChange` without
 * touching the current one: the change is validated on a copy and only a
 * valid result is returned (Raft thesis §4.3 for joint consensus).
 */
import type { ConfState } from "../messages.ts";
import { isJoint, type TrackerConfig } from "../tracker/tracker.ts";
import {
  type ConfChange,
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
} from "./conf_change.ts";

export type ChangeResult =
  | { readonly ok: true; readonly config: TrackerConfig }
  | { readonly ok: false; readonly reason: string };

interface Draft {
  incoming: Set<number>;
  outgoing: Set<number>;
  learners: Set<number>;
  learnersNext: Set<number>;
  autoLeave: boolean;
}

function draftOf(c: TrackerConfig): Draft {
  return {
    incoming: new Set(c.voters[0]),
    outgoing: new Set(c.voters[1]),
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

function freeze(d: Draft): TrackerConfig {
  return {
    voters: [d.incoming, d.outgoing],
    learners: d.learners,
    learnersNext: d.learnersNext,
    autoLeave: d.autoLeave,
  };
}

function applyOne(d: Draft, c: ConfChangeSingle): void {
  const id = c.nodeId;
  switch (c.type) {
    case ConfChangeType.AddNode:
      d.learners.delete(id);
      d.learnersNext.delete(id);
      d.incoming.add(id);
      return;
    case ConfChangeType.AddLearner:
      d.incoming.delete(id);
      d.learners.delete(id);
      d.learnersNext.delete(id);
      // A voter of the outgoing config stays a voter until the joint config is
      // left; it becomes a learner then.
      if (d.outgoing.has(id)) d.learnersNext.add(id);
      else d.learners.add(id);
      return;
    case ConfChangeType.RemoveNode:
      d.incoming.delete(id);
      d.learners.delete(id);
      d.learnersNext.delete(id);
      return;
  }
}

function checkInvariants(d: Draft): string | undefined {
  for (const id of d.learners) {
    if (d.incoming.has(id) || d.outgoing.has(id)) return `${id} is both learner and voter`;
  }
  for (const id of d.learnersNext) {
    if (!d.outgoing.has(id)) return `${id} in learners_next but not an outgoing voter`;
  }
  if (d.incoming.size === 0) return "removed all voters";
  return undefined;
}

function symmetricDiff(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  let n = 0;
  for (const x of a) if (!b.has(x)) n++;
  for (const x of b) if (!a.has(x)) n++;
  return n;
}

/** Whether a change needs joint consensus under its transition. */
export function needsJoint(cur: TrackerConfig, cc: ConfChange): boolean {
  if (cc.transition !== ConfChangeTransition.Auto) return true;
  const d = draftOf(cur);
  for (const c of cc.changes) applyOne(d, c);
  return symmetricDiff(d.incoming, cur.voters[0]) > 1;
}

/** The configuration after applying `cc` to `cur`, or why it is refused. */
export function changeConfig(cur: TrackerConfig, cc: ConfChange): ChangeResult {
  const joint = isJoint(cur);
  if (cc.changes.length === 0) {
    if (!joint) return { ok: false, reason: "not in a joint config" };
    const d = draftOf(cur);
    for (const id of d.learnersNext) d.learners.add(id);
    d.learnersNext.clear();
    d.outgoing.clear();
    d.autoLeave = false;
    return { ok: true, config: freeze(d) };
  }
  if (joint) return { ok: false, reason: "config is already joint" };
  const d = draftOf(cur);
  const enter = needsJoint(cur, cc);
  if (enter) {
    if (d.incoming.size === 0) return { ok: false, reason: "cannot enter joint from empty" };
    d.outgoing = new Set(d.incoming);
    d.autoLeave = cc.transition !== ConfChangeTransition.JointExplicit;
  }
  for (const c of cc.changes) applyOne(d, c);
  const bad = checkInvariants(d);
  if (bad !== undefined) return { ok: false, reason: bad };
  if (!enter && symmetricDiff(d.incoming, cur.voters[0]) > 1) {
    return { ok: false, reason: "more than one voter changed without joint consensus" };
  }
  return { ok: true, config: freeze(d) };
}

/** The configuration described by a ConfState (from a snapshot or storage). */
export function configFromConfState(cs: ConfState): TrackerConfig {
  return {
    voters: [new Set(cs.voters), new Set(cs.votersOutgoing)],
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}
