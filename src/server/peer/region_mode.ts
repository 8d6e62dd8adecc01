/**
 * How a node runs its regions, said in the peer Hello and its answer (`Hello.region_mode`), and
 * the check that refuses a peer that runs them the other way (docs/regions.md, "One setting per
 * cluster"). A node with one region and splitting off takes and sends whole-engine snapshots and
 * plain commands; a node whose regions split (or may) takes and sends region images and `Routed`
 * commands stamped by the timestamp oracle. Each would misread the other's snapshot, so the two
 * never replicate to each other: the link is refused both ways, as a partition is, and says why.
 */

/** Words every refusal of `regionModeMismatch` holds: how a sender knows a peer's error for one. */
export const REGION_MODE_REFUSAL = "--region-split-bytes setting";

/** Region 1 alone, splitting off (`--region-split-bytes 0` and no other region on the disk). */
export const REGION_MODE_ONE = 1;
/** Regions split, or may: splitting on, or regions other than region 1 on the disk. */
export const REGION_MODE_SPLIT = 2;

function described(mode: number): string {
  return mode === REGION_MODE_SPLIT
    ? "splits regions (--region-split-bytes above 0, or regions on its disk)"
    : "runs one region (--region-split-bytes 0)";
}

/**
 * Why the link between node `self` (mode `ours`) and node `peer` must be refused, or undefined
 * when both run regions alike; the same words on both sides. `theirs` is the mode the peer said;
 * 0, from a build before the field (which split only when told to), counts as one region.
 */
export function regionModeMismatch(
  self: { readonly id: number; readonly mode: number },
  peer: { readonly id: number; readonly mode: number },
): string | undefined {
  const theirs = peer.mode === 0 ? REGION_MODE_ONE : peer.mode;
  if (theirs === self.mode) return undefined;
  const [a, b] = self.id < peer.id
    ? [self, { ...peer, mode: theirs }]
    : [{ ...peer, mode: theirs }, self];
  return `node ${a.id} ${described(a.mode)} but node ${b.id} ${described(b.mode)}: every node ` +
    `of a cluster must run with the same ${REGION_MODE_REFUSAL}, 0 or not (docs/regions.md)`;
}

/** A link refused for the peers' region modes: logged as an error, not a passing loss. */
export class RegionModeError extends Error {}
