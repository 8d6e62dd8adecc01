/**
 * The placement group after the heal phase (src/server/placement/): it has a leader; its members
 * that applied the same index of region 0 hold byte-identical images (the image is canonical,
 * placement_state.ts); and timestamps asked through every running node, one node after the other,
 * are strictly increasing (the oracle on the leader, reached by forwarding from the others).
 * Skipped when fewer than a quorum of its voters hold region 0: a wiped voter gets it back from
 * the leader's messages (placement_rejoin.ts), which a group without a quorum has none of; the
 * nemesis damages no data while a voter is still catching up (`placementWhole`).
 */
import { errorMessage } from "../util/errors.ts";
import type { PlacementNode } from "../server/placement/placement_node.ts";
import { equalBytes } from "../util/bytes.ts";
import type { SimCluster } from "./sim_cluster.ts";
import { placementVoters } from "../server/placement/placement_options.ts";

function services(c: SimCluster): { name: string; p: PlacementNode }[] {
  const out: { name: string; p: PlacementNode }[] = [];
  for (const n of c.nodes) {
    const p = n.server?.node.raft.placement;
    if (p !== undefined) out.push({ name: n.name, p });
  }
  return out;
}

/** Members at one applied index hold the same image (checked at that instant, or undefined). */
function imagesAtOneIndex(c: SimCluster): string[] | undefined {
  const members = services(c).filter((s) => s.p.member);
  const first = members[0];
  if (first === undefined) return ["no node holds the placement group"];
  if (members.some((s) => s.p.state.appliedIndex !== first.p.state.appliedIndex)) return undefined;
  const image = first.p.state.image();
  return members.filter((s) => !equalBytes(s.p.state.image(), image)).map((s) =>
    `placement images differ at index ${first.p.state.appliedIndex}: ${first.name}, ${s.name}`
  );
}

/**
 * Whether every running placement voter holds region 0 and votes (a wiped one got it back and
 * caught up: placement_rejoin.ts). The nemesis damages no node's data before: a voter still
 * catching up does not vote, so losing another voter then would leave the group without a
 * leader to catch up from, for good.
 */
export function placementWhole(c: SimCluster): boolean {
  const all = services(c);
  const voters = placementVoters(all[0]?.p.d.o.peers ?? new Map());
  return all.every(({ p }) => !voters.includes(p.d.o.id) || (p.member && !p.rejoin.catchingUp));
}

export async function placementErrors(c: SimCluster): Promise<string[]> {
  const voters = placementVoters(services(c)[0]?.p.d.o.peers ?? new Map()).length;
  const holding = services(c).filter((s) => s.p.member).length;
  if (holding < Math.floor(voters / 2) + 1) return []; // the group lost its quorum for good
  const led = () => services(c).some((s) => s.p.leader !== undefined && s.p.state.bootstrapped);
  if (!await c.waitFor(led, 10_000)) return ["no placement leader after the heal phase"];
  const errors: string[] = [];
  let last = -1;
  for (const { name, p } of services(c)) {
    try {
      const r = await p.timestamps(2);
      if (r.first <= last) errors.push(`${name}: timestamp ${r.first} after ${last}`);
      last = r.first + r.count - 1;
    } catch (err) {
      errors.push(`${name}: timestamps: ${errorMessage(err)}`);
    }
  }
  let images: string[] | undefined;
  await c.waitFor(() => (images = imagesAtOneIndex(c)) !== undefined, 5_000);
  return [...errors, ...(images ?? ["placement members did not reach one index"])];
}
