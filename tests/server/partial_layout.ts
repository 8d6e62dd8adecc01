/**
 * A node holding only some regions, for the tests and benches of what such a node serves
 * (region_remote_txn_node_test.ts, bench/remote_txn_bench.ts): three in-process nodes with
 * `--replicas 2` are written until a split region with two replicas, holding some of the keys
 * written, lies on two of them; the third node holds no replica of it. Split checks and
 * placement's moves are stopped then, so the layout stays while the caller looks.
 */
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { containsKey, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";
import type { TestCluster } from "./cluster_helpers.ts";
import { lacking, PARTIAL_OPTIONS, splitRegions } from "./region_lacking_helpers.ts";
import { key, putRetrying, until } from "./region_split_helpers.ts";

export const PARTIAL = PARTIAL_OPTIONS;

export interface PartialLayout {
  /** The node holding no replica of `region`. */
  readonly node: number;
  readonly region: RegionDescriptor;
  /** Keys written in `region` (held elsewhere, seen from `node`), in key order. */
  readonly away: string[];
  /** Keys written in regions `node` holds, in key order. */
  readonly here: string[];
}

/** Writes keys k0000..k0099 until a node lacks a split region; then freezes the layout. */
export async function partialLayout(c: TestCluster, client: TinyKvClient): Promise<PartialLayout> {
  const written = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const k = key((i * 37) % 100);
    written.add(k);
    // Values that compress: few splits (each split and move is a region image to install).
    await putRetrying(client, k, `v${i}-${"y".repeat(120)}`);
    // Two split regions: the node lacking one still holds several (region 1 and another).
    if (i >= 100 && splitRegions(c).length >= 2) break;
  }
  for (const s of c.servers.values()) s.node.local.splitCheck.stop();
  let found: { node: number; region: RegionDescriptor } | undefined;
  await until("a node lacks a split region", () => {
    found = lacking(c, [...written], 2);
    return found !== undefined;
  }, 60_000);
  if (found === undefined) throw new Error("unreachable");
  for (const s of c.servers.values()) s.node.local.operators.stop();
  found = await heldStill(c, [...written], found);
  const { node, region } = found;
  const host = c.servers.get(node)?.node.local.host;
  const sorted = [...written].sort();
  const away = sorted.filter((k) => containsKey(region, utf8(k)));
  const here = sorted.filter((k) => host?.regionFor(utf8(k)) !== undefined);
  return { node, region, away, here };
}

type Lacking = { node: number; region: RegionDescriptor };

/**
 * The layout once it held still for a second: a move placement ordered before its operators
 * stopped may still bring the region to the node (an SSCAN test once found it there after all).
 */
async function heldStill(c: TestCluster, written: string[], first: Lacking): Promise<Lacking> {
  const same = (a: Lacking, b: Lacking) =>
    a.node === b.node && a.region.id === b.region.id &&
    a.region.epoch.version === b.region.epoch.version &&
    a.region.epoch.confVer === b.region.epoch.confVer;
  let last = first;
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = lacking(c, written, 2);
    if (now !== undefined && same(now, last)) return now;
    if (now !== undefined) last = now;
  }
  throw new Error("the layout did not hold still for a second within 30 s");
}
