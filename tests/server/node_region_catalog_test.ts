/**
 * The node's region catalog (src/server/node/node_region_catalog.ts): `holdsWhole`, asked on every
 * RESP GET run, says whether the regions it holds (in key order, replicas left out or without
 * known voters skipped) tile the whole keyspace, without making a list of them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { NodeRegionCatalog } from "../../src/server/node/node_region_catalog.ts";
import type { NodeService } from "../../src/server/node/node_service.ts";
import { utf8 } from "../../src/util/bytes.ts";

const SELF = 1;

function region(id: number, start: string, end: string, nodes = [SELF, 2]): RegionDescriptor {
  return {
    id,
    start: utf8(start),
    end: utf8(end),
    epoch: { version: 1, confVer: 1 },
    replicas: nodes.map((nodeId) => ({ nodeId, role: "voter" as const })),
  };
}

/** A catalog over a node whose served regions (`host.all()`) are `served`, in key order. */
function catalogOf(served: readonly RegionDescriptor[]): NodeRegionCatalog {
  const host = { all: () => served.map((descriptor) => ({ kv: { descriptor } })) };
  const service = { o: { id: SELF, regionMergeBytes: 0 }, local: { host } };
  return new NodeRegionCatalog(service as unknown as NodeService);
}

test("holdsWhole: regions tiling the keyspace; a gap anywhere, or none, is not whole", () => {
  const a = region(1, "", "g"), b = region(2, "g", "p"), c = region(3, "p", "");
  const cases: [RegionDescriptor[], boolean][] = [
    [[a, b, c], true],
    [[region(1, "", "")], true],
    [[b, c], false],
    [[a, c], false],
    [[a, b], false],
    [[], false],
    // A replica without known voters is not held: its range is a gap.
    [[a, { ...b, replicas: [] }, c], false],
    // Left out of its configuration (this node not listed): a gap too.
    [[a, region(2, "g", "p", [2, 3]), c], false],
  ];
  for (const [served, whole] of cases) {
    const catalog = catalogOf(served);
    const ids = served.map((d) => d.id).join(",");
    assert.equal(catalog.holdsWhole(), whole, `regions ${ids}`);
  }
});
