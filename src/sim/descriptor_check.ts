/**
 * Region 1's descriptor after the heal phase (src/server/node/region_members.ts): nodes that
 * applied the same index hold the same descriptor (replicas and conf version), and its replicas
 * are that node's Raft configuration.
 */
import { confStateReplicas } from "../server/node/region_members.ts";
import type { SimCluster } from "./sim_cluster.ts";

function text(replicas: Readonly<ReturnType<typeof confStateReplicas>>): string {
  return replicas.map((r) => `${r.nodeId}${r.role === "voter" ? "v" : "l"}`).join(",");
}

/** What differs; call once every node applied the same index. */
export function descriptorErrors(c: SimCluster): string[] {
  const errors: string[] = [];
  let first: { name: string; held: string } | undefined;
  for (const n of c.nodes) {
    const service = n.server?.node;
    if (service === undefined) continue;
    const d = service.raft.members.descriptor;
    const held = `${text(d.replicas)}@${d.epoch.confVer}`;
    const config = text(confStateReplicas(service.node.rawNode.status().confState));
    if (config !== text(d.replicas)) {
      errors.push(`${n.name}: region 1 descriptor ${held}, Raft configuration ${config}`);
    }
    if (first === undefined) first = { name: n.name, held };
    else if (first.held !== held) {
      errors.push(`region 1 descriptors differ: ${first.name} ${first.held}, ${n.name} ${held}`);
    }
  }
  return errors;
}
