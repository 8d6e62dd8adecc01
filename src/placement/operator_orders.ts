/**
 * What the placement leader answers a node's heartbeat with (docs/regions.md "Operators
 * executed"): for each region the node leads and just reported, the step its operator needs next,
 * named with the region's epoch as the leader holds it (the node drops an order whose epoch is not
 * its region's: operator_step.ts); and for each region the node hosts at an older conf version
 * than the leader knows and that no longer lists the node, a tombstone — the node was removed
 * while it was away (down, partitioned) and never applied its removal, so it drops the replica.
 */
import { currentStep } from "./operator.ts";
import type { StepOrder } from "./operator_step.ts";
import type { PlacementScheduler } from "./scheduler.ts";

export interface HeldConf {
  readonly regionId: number;
  readonly confVer: number;
}

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
 * The regions among `held` that `nodeId` should drop: the leader's view holds a later conf
 * version of them, and that configuration does not list the node. A node re-added since has the
 * later conf version itself (it applied it or installed an image past it), so it is not told.
 */
export function tombstonesFor(
  scheduler: PlacementScheduler,
  nodeId: number,
  held: readonly HeldConf[],
): HeldConf[] {
  const out: HeldConf[] = [];
  for (const h of held) {
    const d = scheduler.view.region(h.regionId)?.descriptor;
    if (d === undefined || d.epoch.confVer <= h.confVer) continue;
    if (!d.replicas.some((p) => p.nodeId === nodeId)) {
      out.push({ regionId: h.regionId, confVer: d.epoch.confVer });
    }
  }
  return out;
}
