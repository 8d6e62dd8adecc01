/**
 * What the placement leader answers a node's heartbeat with (docs/regions.md "Operators
 * executed"): for each region the node leads and just reported, the step its operator needs next,
 * named with the region's epoch as the leader holds it (the node drops an order whose epoch is not
 * its region's: operator_step.ts); and for each region the node hosts whose configuration, as the
 * leader knows it, no longer lists the node, a tombstone — once every voter of that configuration
 * has applied it (held_confs.ts). The node may have applied its removal itself, or have been
 * removed while it was away (down, partitioned) and never applied it; either way it drops the
 * replica then, and not before: a voter still on the older configuration may need its vote.
 */
import type { HeldConf, HeldConfs } from "./held_confs.ts";
import { currentStep } from "./operator.ts";
import type { StepOrder } from "./operator_step.ts";
import type { PlacementScheduler } from "./scheduler.ts";

export type { HeldConf } from "./held_confs.ts";

/**
 * The step orders for the regions `nodeId` reported leading (ids in `reported`), each named with
 * the term its report was made in (`terms[i]` for `reported[i]`; absent or 0: an older node's
 * heartbeat, no term).
 */
export function ordersFor(
  scheduler: PlacementScheduler,
  nodeId: number,
  reported: readonly number[],
  terms: readonly number[] = [],
  /**
   * Whether `node`'s replica of `region` may not vote yet (its heartbeat listed it catching up):
   * a promotion to voter waits for it, since a voter that cannot vote costs its region a failure.
   */
  catchingUp: (region: number, node: number) => boolean = () => false,
): StepOrder[] {
  const out: StepOrder[] = [];
  for (const [i, id] of reported.entries()) {
    const op = scheduler.operator(id);
    const info = scheduler.view.region(id);
    if (op === undefined || info === undefined || info.leader !== nodeId) continue;
    const step = currentStep(op, info);
    if (step === undefined || step === "stale") continue;
    if (step.kind === "promote" && step.promote !== 0 && catchingUp(id, step.promote)) continue;
    const term = terms[i] ?? 0;
    const order = { regionId: id, epoch: info.descriptor.epoch, step };
    out.push(term > 0 ? { ...order, term } : order);
  }
  return out;
}

/**
 * The regions among `held` that `nodeId` should drop: the leader's view holds their conf version
 * or a later one, that configuration does not list the node, and every voter of it has reported
 * applying it (`applied`). A node re-added since holds a later conf version than the view's, so
 * it is not told; the node itself drops only while its own is no later (region_operators.ts).
 */
export function tombstonesFor(
  scheduler: PlacementScheduler,
  nodeId: number,
  held: readonly HeldConf[],
  applied: HeldConfs,
): HeldConf[] {
  const out: HeldConf[] = [];
  for (const h of held) {
    const d = scheduler.view.region(h.regionId)?.descriptor;
    if (d === undefined || d.epoch.confVer < h.confVer) continue;
    if (d.replicas.some((p) => p.nodeId === nodeId) || !applied.allVotersApplied(d)) continue;
    out.push({ regionId: h.regionId, confVer: d.epoch.confVer });
  }
  return out;
}
