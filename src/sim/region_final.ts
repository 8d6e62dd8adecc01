/**
 * Replica equality region by region, for nodes that split regions (docs/simulation.md "With
 * regions"). Region 1's applied index says nothing of the other regions, so the final checks
 * wait until every running node holds the same regions (no split's child still being added),
 * each at the same applied index on every node; then each region's descriptor (range, epoch,
 * replicas) must be the same on every node and its replicas its Raft configuration there.
 */
import type { HostedRegion } from "../server/node/region_host.ts";
import { confStateReplicas } from "../server/node/region_members.ts";
import type { SimCluster } from "./sim_cluster.ts";
import { toHex } from "../util/bytes.ts";
import { RegionNode } from "../raft/multi/region_node.ts";

function regionsOf(c: SimCluster): { name: string; regions: HostedRegion[]; adding: boolean }[] {
  const out = [];
  for (const n of c.nodes) {
    const host = n.server?.node.local.host;
    if (host === undefined) continue;
    out.push({ name: n.name, regions: host.all(), adding: host.adding });
  }
  return out;
}

/** Each region's id and applied index, in key order. */
function appliedText(regions: readonly HostedRegion[]): string {
  return regions.map((r) => `${r.id}@${r.kv.appliedIndex}`).join(",");
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
 * Every node's regions are the same, at the same applied indexes, none being added, each
 * applied by Raft as far as by its state machine.
 */
export function regionsSettled(c: SimCluster): boolean {
  const nodes = regionsOf(c);
  if (nodes.length !== c.nodes.length || nodes.some((n) => n.adding)) return false;
  if (!nodes.every((n) => n.regions.every(raftCaughtUp))) return false;
  const first = appliedText(nodes[0].regions);
  return nodes.every((n) => appliedText(n.regions) === first);
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
  const first = nodes[0];
  const want = first.regions.map(descriptorText).join("; ");
  for (const n of nodes) {
    const held = n.regions.map(descriptorText).join("; ");
    if (held !== want) errors.push(`regions differ: ${first.name} [${want}], ${n.name} [${held}]`);
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
