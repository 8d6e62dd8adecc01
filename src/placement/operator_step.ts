/**
 * What a region's leader does with an operator step the placement leader sent it
 * (docs/regions.md "Operators executed"): one Raft membership change of the region at a time,
 * each checked against the region as its leader applied it.
 *
 * A step order names the region's epoch (range version and conf version) the placement leader
 * derived it from. The leader drops an order whose epoch is not its region's current one (a
 * split, a merge or any membership change landed since: the order is stale), so an order sent
 * twice, or sent again after its change applied, is never applied twice: the change it caused
 * moved the conf version. Every step is also idempotent by itself: adding a member already
 * there, removing one already gone or promoting a voter is "done", nothing proposed.
 *
 * Changes are simple (one member each), never joint: regions other than region 1 keep their
 * descriptor's replicas as their whole configuration (region_membership.ts applies each change
 * to it), and changing one voter at a time keeps every old and new majority overlapping. So the
 * operator's joint "promote T, demote S" runs as two changes — T becomes a voter, then S a
 * learner — each sent by the placement leader after it saw the previous one applied. A step that
 * would demote or remove the leader itself first hands leadership to a caught-up voter.
 */
import type { RegionDescriptor, RegionEpoch } from "../region/descriptor.ts";
import type { Step } from "./operator.ts";

/** A step for one region, as the placement leader sends it to the region's leader. */
export interface StepOrder {
  readonly regionId: number;
  /** The region's epoch in the report the step was derived from. */
  readonly epoch: RegionEpoch;
  readonly step: Step;
  /**
   * The Raft term the region's leader reported the region in; 0 or absent: unchecked (an older
   * placement leader's answer). A leader in another term drops the order: it lost and regained
   * leadership since, and placement has not yet seen the region as it is in its new term.
   */
  readonly term?: number;
}

/** The region as its leader sees it now. */
export interface RegionNow {
  /** The descriptor the region applied (its replicas are its configuration). */
  readonly descriptor: RegionDescriptor;
  readonly self: number;
  readonly isLeader: boolean;
  /** The leader's current Raft term (absent: not checked). */
  readonly term?: number;
  /** A conf change proposed and not applied, a joint configuration or a transfer under way. */
  readonly busy: boolean;
  /** Whether a member's log has reached the leader's commit index. */
  readonly caughtUp: (nodeId: number) => boolean;
}

/** A simple change: join as (or become) a learner, become a voter, leave. */
export type ChangeType = "learner" | "voter" | "remove";

export type StepAction =
  /** Nothing to do for this order now or later: dropped (the reason says why). */
  | { readonly kind: "drop"; readonly reason: string }
  /** The step is done: the region already is as it asks. */
  | { readonly kind: "done" }
  /** Not yet: kept and looked at again (a learner catching up, a change pending). */
  | { readonly kind: "wait"; readonly reason: string }
  /** One simple membership change (the server maps it to a Raft conf change). */
  | { readonly kind: "change"; readonly type: ChangeType; readonly nodeId: number }
  | { readonly kind: "transfer"; readonly to: number };

function roleOf(d: RegionDescriptor, node: number): "voter" | "learner" | undefined {
  return d.replicas.find((p) => p.nodeId === node)?.role;
}

function voters(d: RegionDescriptor): number[] {
  return d.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId);
}

/** Hands leadership to a caught-up voter other than the leader and `leaving`, if there is one. */
function handOff(now: RegionNow, leaving: number): StepAction {
  const to = voters(now.descriptor).find((id) =>
    id !== now.self && id !== leaving && now.caughtUp(id)
  );
  if (to === undefined) return { kind: "wait", reason: "no caught-up voter to lead instead" };
  return { kind: "transfer", to };
}

/** The next action for `order` on the region as it is now (pure: the caller runs it). */
export function nextAction(order: StepOrder, now: RegionNow): StepAction {
  const d = now.descriptor;
  if (d.id !== order.regionId) return { kind: "drop", reason: "another region" };
  if (!now.isLeader) return { kind: "drop", reason: "not the region's leader" };
  const e = d.epoch;
  if (e.version !== order.epoch.version || e.confVer !== order.epoch.confVer) {
    const at = `${e.version}/${e.confVer}`;
    return {
      kind: "drop",
      reason: `stale: epoch ${order.epoch.version}/${order.epoch.confVer}, ` + `region at ${at}`,
    };
  }
  if ((order.term ?? 0) > 0 && now.term !== undefined && now.term !== order.term) {
    return { kind: "drop", reason: `stale: term ${order.term}, leader in term ${now.term}` };
  }
  if (now.busy) return { kind: "wait", reason: "a membership change is under way" };
  const s = order.step;
  switch (s.kind) {
    case "add-learner":
      if (roleOf(d, s.node) !== undefined) return { kind: "done" };
      return { kind: "change", type: "learner", nodeId: s.node };
    case "promote": {
      if (s.promote !== 0) {
        const role = roleOf(d, s.promote);
        if (role === undefined) return { kind: "drop", reason: `node ${s.promote} is no member` };
        if (role === "learner") {
          if (!now.caughtUp(s.promote)) return { kind: "wait", reason: "learner catching up" };
          return { kind: "change", type: "voter", nodeId: s.promote };
        }
      }
      if (s.demote === 0 || roleOf(d, s.demote) !== "voter") return { kind: "done" };
      if (voters(d).length < 2) return { kind: "drop", reason: "would demote the last voter" };
      if (s.demote === now.self) return handOff(now, s.demote);
      return { kind: "change", type: "learner", nodeId: s.demote };
    }
    case "remove": {
      const role = roleOf(d, s.node);
      if (role === undefined) return { kind: "done" };
      if (role === "voter" && voters(d).length < 2) {
        return { kind: "drop", reason: "would remove the last voter" };
      }
      if (s.node === now.self) return handOff(now, s.node);
      return { kind: "change", type: "remove", nodeId: s.node };
    }
    case "transfer-leader":
      if (s.to === now.self) return { kind: "done" };
      if (roleOf(d, s.to) !== "voter") return { kind: "drop", reason: `node ${s.to} is no voter` };
      if (!now.caughtUp(s.to)) return { kind: "wait", reason: "target catching up" };
      return { kind: "transfer", to: s.to };
  }
}
