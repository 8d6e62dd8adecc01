/**
 * Replica equality region by region, for nodes that split regions (docs/simulation.md "With
 * regions"). Region 1's applied index says nothing of the other regions, and the placement
 * service keeps each region on `--replicas` of the nodes, so the final checks wait until every
 * region is hosted by exactly the nodes its descriptor lists (a new replica created, a removed one
 * dropped, no split's child still being added), at the same applied index on each; then each
 * region's descriptor (range, epoch, replicas) must be the same on every node holding it, its
 * replicas its Raft configuration there, and the regions must tile the keyspace.
 */
import type { HostedRegion } from "../server/node/region_host.ts";
import { confStateReplicas } from "../server/node/region_members.ts";
import type { SimCluster } from "./sim_cluster.ts";
import { compareBytes, toHex } from "../util/bytes.ts";
import { RegionNode } from "../raft/multi/region_node.ts";
import { hostedRegions } from "../server/node/left_out.ts";

function regionsOf(c: SimCluster): { name: string; regions: HostedRegion[]; adding: boolean }[] {
  const out = [];
  for (const n of c.nodes) {
    const host = n.server?.node.local.host;
    if (host === undefined) continue;
    // Replicas left out of their configuration too: settled means they were dropped.
    out.push({ name: n.name, regions: hostedRegions(host), adding: host.adding });
  }
  return out;
}

/** Each region's id and applied index, in key order. */
function appliedText(regions: readonly HostedRegion[]): string {
  return regions.map((r) => `${r.id}@${r.kv.appliedIndex}`).join(",");
}

/** Each region id: the nodes hosting it (by node id) and their replicas of it. */
export function byRegion(c: SimCluster): Map<number, Map<number, HostedRegion>> {
  const out = new Map<number, Map<number, HostedRegion>>();
  for (const n of c.nodes) {
    const node = n.server?.node;
    if (node === undefined) continue;
    for (const r of hostedRegions(node.local.host)) {
      const m = out.get(r.id) ?? new Map<number, HostedRegion>();
      m.set(node.o.id, r);
      out.set(r.id, m);
    }
  }
  return out;
}

/**
 * Whether Raft applied the region's log as far as its state machine: after a region image
 * newer than the Raft snapshot that asked for it, the state machine is at the image's index
 * while Raft's configuration is the snapshot's until the entries up to the image are applied
 * again (region_snapshots.ts). Until then a descriptor and a configuration may differ.
 */
export function raftCaughtUp(r: HostedRegion): boolean {
  const g = r.group;
  const applied = g instanceof RegionNode ? g.applied : g.rawNode.status().applied;
  return applied >= r.kv.appliedIndex;
}

/**
 * Every region is hosted by exactly the nodes its descriptor lists, at one applied index, none
 * being added, each applied by Raft as far as by its state machine, and no replica removal is
 * under way.
 */
export function regionsSettled(c: SimCluster): boolean {
  const nodes = regionsOf(c);
  if (nodes.length !== c.nodes.length || nodes.some((n) => n.adding)) return false;
  if (c.nodes.some((n) => (n.server?.node.local.removal.pending ?? 1) > 0)) return false;
  if (!nodes.every((n) => n.regions.every(raftCaughtUp))) return false;
  for (const hosts of byRegion(c).values()) {
    const replicas = [...hosts.values()];
    const applied = replicas[0].kv.appliedIndex;
    if (replicas.some((r) => r.kv.appliedIndex !== applied)) return false;
    const listed = replicas[0].kv.descriptor.replicas.map((p) => p.nodeId).sort((a, b) => a - b);
    if (listed.join() !== [...hosts.keys()].sort((a, b) => a - b).join()) return false;
  }
  return true;
}

function replicasText(replicas: Readonly<ReturnType<typeof confStateReplicas>>): string {
  return replicas.map((r) => `${r.nodeId}${r.role === "voter" ? "v" : "l"}`).join(",");
}

function descriptorText(r: HostedRegion): string {
  const d = r.kv.descriptor;
  const range = `${toHex(d.start)}..${toHex(d.end)}`;
  return `${d.id} ${range} v${d.epoch.version}/${d.epoch.confVer} ${replicasText(d.replicas)}`;
}

/** What differs between the nodes' regions; call once `regionsSettled`. */
export function regionErrors(c: SimCluster): string[] {
  const errors: string[] = [];
  const nodes = regionsOf(c);
  if (nodes.length === 0) return ["regions: no running node"];
  const all: HostedRegion[] = [];
  for (const [id, hosts] of byRegion(c)) {
    const texts = [...hosts].map(([node, r]) => `n${node} [${descriptorText(r)}]`);
    const first = descriptorText([...hosts.values()][0]);
    if ([...hosts.values()].some((r) => descriptorText(r) !== first)) {
      errors.push(`region ${id} differs: ${texts.join(", ")}`);
    }
    all.push([...hosts.values()][0]);
  }
  // The regions tile the keyspace: each starts where the one before it ends.
  all.sort((a, b) => compareBytes(a.kv.descriptor.start, b.kv.descriptor.start));
  let end: Uint8Array = new Uint8Array(0);
  for (const [i, r] of all.entries()) {
    const d = r.kv.descriptor;
    if (compareBytes(d.start, end) !== 0 || (d.end.length === 0) !== (i === all.length - 1)) {
      errors.push(`regions do not tile the keyspace: ${all.map(descriptorText).join("; ")}`);
      break;
    }
    end = d.end;
  }
  for (const n of nodes) {
    for (const r of n.regions) {
      const config = replicasText(confStateReplicas(r.group.rawNode.status().confState));
      if (config !== replicasText(r.kv.descriptor.replicas)) {
        errors.push(`${n.name}: region ${r.id} descriptor ${descriptorText(r)}, Raft ${config}`);
      }
    }
  }
  return errors.slice(0, 5);
}

/** Each node's regions (id@applied, and whether a split's child is being added), for a report. */
export function regionsHeld(c: SimCluster): string {
  return regionsOf(c).map((n) =>
    `${n.name}${n.adding ? "(adding)" : ""}: ${appliedText(n.regions)}`
  )
    .join("; ");
}

/**
 * Whether every region (region 1 too) has its full set of voters: every node its
 * descriptor lists hosts it (none created and waiting for its image, no split's child being
 * added), and no replica is a learner (but region 1's members where it keeps `--replicas`
 * voters) or leaving in a joint configuration. The nemesis damages
 * no node's data before (nemesis.ts): a region whose replicas are two voters and a learner (a
 * member re-added, not promoted yet) loses its quorum for good with one voter's data, as region
 * 1 would, and `wholeAndCaughtUp` looks at region 1 alone.
 */
export function regionsWhole(c: SimCluster): boolean {
  for (const n of c.nodes) {
    const local = n.server?.node.local;
    if (local === undefined) continue;
    if (local.host.adding || local.creation.waiting) return false;
  }
  for (const [id, hosts] of byRegion(c)) {
    const listed = [...hosts.values()][0].kv.descriptor.replicas.map((p) => p.nodeId);
    if (listed.some((id) => !hosts.has(id))) return false;
    // Region 1's learners are members where it keeps fewer voters: whole with at least that many
    // voters (placement demotes a surplus one heartbeat at a time).
    const learnersMember = id === 1 && c.firstRegionVoters !== undefined;
    for (const r of hosts.values()) {
      const cs = r.group.rawNode.status().confState;
      if (cs.votersOutgoing.length + cs.learnersNext.length > 0) return false;
      if (learnersMember ? cs.voters.length < c.wholeVoters : cs.learners.length > 0) {
        return false;
      }
    }
  }
  return true;
}

/**
 * The region holding `key` as the most recently split replica of any running node knows it
 * (the highest epoch version among the regions holding it); undefined when no node is up. For
 * reports only, called while faults run: a node whose engine is closing is left out.
 */
export function regionOfKey(c: SimCluster, key: Uint8Array): number | undefined {
  let best: HostedRegion | undefined;
  for (const n of c.nodes) {
    let regions: HostedRegion[];
    try {
      regions = n.server?.node.local.host.all() ?? [];
    } catch {
      continue; // its engine closed under it (a crash or a stop in progress)
    }
    for (const r of regions) {
      const d = r.kv.descriptor;
      const holds = compareBytes(key, d.start) >= 0 &&
        (d.end.length === 0 || compareBytes(key, d.end) < 0);
      if (holds && (best === undefined || d.epoch.version > best.kv.descriptor.epoch.version)) {
        best = r;
      }
    }
  }
  return best?.id;
}
