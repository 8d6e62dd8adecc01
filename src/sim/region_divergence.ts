/**
 * Replica equality key by key once regions live on some of the nodes (docs/simulation.md "With
 * regions"): each node's regions are read from its own state machine, region by region, and
 * each key's value is compared between the nodes that host the key's region (a node holding no
 * replica of a region is neither asked nor expected to have its keys).
 */
import type { HostedRegion } from "../server/node/region_host.ts";
import type { KvScanRequest } from "../kv/kv_scan.ts";
import { compareBytes, utf8 } from "../util/bytes.ts";
import type { SimCluster } from "./sim_cluster.ts";

/** One page of a scan on one node. */
type ScanFn = (request: KvScanRequest) => Promise<{
  items: { key: Uint8Array; value: Uint8Array; version: number }[];
  nextCursor: Uint8Array | undefined;
}>;

function holds(r: HostedRegion, key: Uint8Array): boolean {
  const d = r.kv.descriptor;
  return compareBytes(key, d.start) >= 0 && (d.end.length === 0 || compareBytes(key, d.end) < 0);
}

interface NodeState {
  readonly name: string;
  readonly regions: readonly HostedRegion[];
  readonly state: Map<string, string>;
}

async function nodeState(
  c: SimCluster,
  i: number,
  scanAll: (scan: ScanFn) => Promise<Map<string, string>>,
): Promise<NodeState | undefined> {
  const service = c.nodes[i].server?.node;
  if (service === undefined) return undefined;
  const regions = service.local.host.all();
  const state = new Map<string, string>();
  for (const r of regions) {
    const d = r.kv.descriptor;
    const bounds = d.end.length === 0 ? { start: d.start } : { start: d.start, end: d.end };
    const part = await scanAll((q) =>
      service.scan({ ...q, ...bounds, limit: 1000 }, "serializable")
    );
    for (const [k, v] of part) state.set(k, v);
  }
  return { name: c.nodes[i].name, regions, state };
}

/** Keys whose values differ between nodes hosting their region (the first five). */
export async function regionDivergence(
  c: SimCluster,
  scanAll: (scan: ScanFn) => Promise<Map<string, string>>,
): Promise<string[]> {
  const nodes: NodeState[] = [];
  for (let i = 0; i < c.nodes.length; i++) {
    const s = await nodeState(c, i, scanAll);
    if (s !== undefined) nodes.push(s);
  }
  const keys = new Set(nodes.flatMap((n) => [...n.state.keys()]));
  const diverged: string[] = [];
  for (const k of [...keys].sort()) {
    const holders = nodes.filter((n) => n.regions.some((r) => holds(r, utf8(k))));
    const first = holders[0];
    const region = first?.regions.find((r) => holds(r, utf8(k)))?.id;
    for (const n of holders) {
      if (n.state.get(k) === first.state.get(k)) continue;
      const values = `${first.name}=${first.state.get(k)} ${n.name}=${n.state.get(k)}`;
      diverged.push(`${k} (region ${region}): ${values}`);
    }
    if (diverged.length >= 5) break;
  }
  return diverged.slice(0, 5);
}
