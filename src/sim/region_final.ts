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

/** Every node's regions are the same, at the same applied indexes, none being added. */
export function regionsSettled(c: SimCluster): boolean {
  const nodes = regionsOf(c);
  if (nodes.length !== c.nodes.length || nodes.some((n) => n.adding)) return false;
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
