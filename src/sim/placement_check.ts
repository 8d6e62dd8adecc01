/**
 * The placement group after the heal phase (src/server/placement/): it has a leader; its members
 * that applied the same index of region 0 hold byte-identical images (the image is canonical,
 * placement_state.ts); and timestamps asked through every running node, one node after the other,
 * are strictly increasing (the oracle on the leader, reached by forwarding from the others).
 * Skipped when fewer than a quorum of its voters hold region 0: a wiped voter gets it back from
 * the leader's messages (placement_rejoin.ts), which a group without a quorum has none of; the
 * nemesis damages no data while a voter is still catching up (`placementWhole`). The voters are
 * region 0's configuration as its members hold it: the group follows the cluster's membership
 * (placement_group.ts), so they are the first three ids of `--peers` only until it changes.
 */
import { errorMessage } from "../util/errors.ts";
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../server/kv_service.ts";
import type { PlacementNode } from "../server/placement/placement_node.ts";
import { equalBytes } from "../util/bytes.ts";
import type { SimCluster } from "./sim_cluster.ts";
import { PLACEMENT_REGION, placementVoters } from "../server/placement/placement_options.ts";

function services(c: SimCluster): { name: string; p: PlacementNode }[] {
  const out: { name: string; p: PlacementNode }[] = [];
  for (const n of c.nodes) {
    const p = n.server?.node.raft.placement;
    if (p !== undefined) out.push({ name: n.name, p });
  }
  return out;
}

/**
 * Region 0's voters and learners: as its leader holds them, else as the member that applied the
 * most holds them, else (no member runs) the first voters of `--peers`.
 */
export function groupMembers(c: SimCluster): { voters: number[]; all: number[] } {
  let best: { applied: number; lead: boolean; voters: number[]; all: number[] } | undefined;
  for (const { p } of services(c)) {
    const rn = p.member ? p.d.driver.region(PLACEMENT_REGION)?.rawNode : undefined;
    if (rn === undefined) continue;
    const cs = rn.status().confState;
    const voters = [...new Set([...cs.voters, ...cs.votersOutgoing])];
    const all = [...voters, ...cs.learners, ...cs.learnersNext];
    const x = { applied: p.state.appliedIndex, lead: rn.isLeader, voters, all };
    if (
      best === undefined || (x.lead && !best.lead) ||
      (x.lead === best.lead && x.applied > best.applied)
    ) {
      best = x;
    }
  }
  if (best !== undefined) return best;
  const voters = placementVoters(services(c)[0]?.p.d.o.peers ?? new Map());
  return { voters, all: voters };
}

/** Members at one applied index hold the same image (checked at that instant, or undefined). */
function imagesAtOneIndex(c: SimCluster): string[] | undefined {
  const group = groupMembers(c).all;
  // A replica the group left out stays until every voter applied that (placement_group_member.ts).
  const members = services(c).filter((s) => s.p.member && group.includes(s.p.d.o.id));
  const first = members[0];
  if (first === undefined) return ["no node holds the placement group"];
  if (members.some((s) => s.p.state.appliedIndex !== first.p.state.appliedIndex)) return undefined;
  const image = first.p.state.image();
  return members.filter((s) => !equalBytes(s.p.state.image(), image)).map((s) =>
    `placement images differ at index ${first.p.state.appliedIndex}: ${first.name}, ${s.name}`
  );
}

/**
 * Whether the placement group survives the loss of one voter's data: it has a leader and no
 * joint configuration, and its voters that vote (running, holding region 0, not catching up
 * after a wipe: placement_rejoin.ts) stay a majority without each one of them. The nemesis
 * damages no node's data before (the rule region_quorum.ts keeps for the other regions): a voter
 * still catching up does not vote, and the group runs on two voters for a while after a member
 * left a three-node cluster (placement_group.ts), so losing one more then would leave it without
 * a leader to catch up from, for good (seed 4 with regions, once the group followed members).
 */
export function placementWhole(c: SimCluster): boolean {
  const all = services(c);
  const lead = all.find(({ p }) => p.member && p.leader !== undefined);
  const cs = lead?.p.d.driver.region(PLACEMENT_REGION)?.rawNode.status().confState;
  if (cs === undefined || cs.votersOutgoing.length > 0) return false;
  const voting = cs.voters.filter((v) =>
    all.some(({ p }) => p.d.o.id === v && p.member && !p.rejoin.catchingUp)
  );
  return voting.length - 1 >= Math.floor(cs.voters.length / 2) + 1;
}

/**
 * A node's timestamps, asked again (at most 20 times, 100 virtual ms apart) while the answer is a
 * passing refusal: the oracle moves to region 1's leader's node by design (oracle_follow.ts), and
 * a request that meets the move is refused, retryable (the regions seed 5099 met one in this
 * check, after the heal).
 */
async function timestampsRetried<T>(c: SimCluster, ask: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await ask();
    } catch (err) {
      const passing = err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE;
      if (!passing || attempt >= 20) throw err;
      await c.sleep(100);
    }
  }
}

export async function placementErrors(c: SimCluster): Promise<string[]> {
  const group = groupMembers(c).voters;
  const holding = services(c).filter((s) => s.p.member && group.includes(s.p.d.o.id)).length;
  if (holding < Math.floor(group.length / 2) + 1) return []; // the group lost its quorum for good
  const led = () => services(c).some((s) => s.p.leader !== undefined && s.p.state.bootstrapped);
  if (!await c.waitFor(led, 10_000)) return ["no placement leader after the heal phase"];
  const errors: string[] = [];
  let last = -1;
  for (const { name, p } of services(c)) {
    try {
      const r = await timestampsRetried(c, () => p.timestamps(2));
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
