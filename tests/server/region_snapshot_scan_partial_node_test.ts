/**
 * Current scans over several regions on a node holding only some of them read one snapshot
 * (docs/regions.md "Reads over several regions"): three in-process nodes with `--replicas 2`
 * split, and placement leaves a split region R off one node N. A writer puts `a` (region 1, on
 * every node, before R in key order) then `b` (in R), one after the other, with increasing values,
 * while scans of both keys run through every node. N reads a's part itself and sends R's part to
 * R's replicas: read each at its own revision (as before), a scan there saw b's new value beside
 * a's old one; read at one timestamp, none does (region_snapshot_scan_helpers.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { containsKey, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { lacking, PARTIAL_OPTIONS, splitRegions } from "./region_lacking_helpers.ts";
import { key, putRetrying, until } from "./region_split_helpers.ts";
import { orderedWrites, SCANS_ANSWERED_MIN } from "./region_snapshot_scan_helpers.ts";

test("snapshot scan: a node holding some regions scans two regions at one timestamp", {
  timeout: 240_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, PARTIAL_OPTIONS);
  try {
    await c.leader();
    const client = c.client();
    const keys: string[] = [];
    for (let i = 0; i < 400; i++) {
      const k = key((i * 37) % 100);
      keys.push(k);
      // Values that compress: few splits (each split and move is a region image to install).
      await putRetrying(client, k, `v${i}-${"y".repeat(120)}`);
      if (i >= 100 && splitRegions(c).length >= 1) break;
    }
    for (const s of c.servers.values()) s.node.local.splitCheck.stop();
    let found: { node: number; region: RegionDescriptor } | undefined;
    await until(
      "a node lacks a split region",
      () => (found = lacking(c, keys, 1)) !== undefined,
      60_000,
    );
    if (found === undefined) throw new Error("unreachable");
    for (const s of c.servers.values()) s.node.local.operators.stop();
    const { node, region } = found;
    const b = keys.find((k) => containsKey(region, utf8(k)));
    assert.ok(b !== undefined, `region ${region.id} holds a key`);
    const a = "a-first"; // below every k…: region 1, which every node holds
    assert.ok(c.servers.get(node)?.node.local.host.regionFor(utf8(a)) !== undefined, "a is local");

    const scanners = [node, ...[1, 2, 3].filter((id) => id !== node)].map((id) => c.client([id]));
    const answered = await orderedWrites(client, scanners, {
      a,
      b,
      rounds: 150,
      start: a,
      end: b + "~",
    });
    assert.ok(answered >= SCANS_ANSWERED_MIN, `${answered} scans answered`);
  } finally {
    await c.close();
  }
});
