/**
 * `tinykv regions [--json]`: every region with its range, size, leader, replicas and their
 * zones, in key order (docs/operations.md, "Regions"), from the `Regions` request; and the
 * one-line summary `tinykv status` prints. `--json` prints one object per region per line, the
 * objects `GET /regions` lists.
 */
import type { ProcessHost } from "../platform/types.ts";
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { rangeText, type RegionEntry, regionJson } from "../client/region_wire.ts";
import { UsageError } from "./usage_error.ts";

/** Bytes for people: B, KiB, MiB, GiB with one decimal. */
export function sizeText(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

const COLUMNS: readonly [string, (r: RegionEntry) => string][] = [
  ["ID", (r) => String(r.id)],
  ["RANGE", (r) => rangeText(r)],
  ["SIZE", (r) => sizeText(r.approximateBytes)],
  ["KEYS", (r) => String(r.approximateKeys)],
  ["LEADER", (r) => r.leaderId === 0 ? "-" : String(r.leaderId)],
  [
    "REPLICAS",
    (r) =>
      r.replicas.map((p) => p.role === "learner" ? `${p.nodeId}(learner)` : p.nodeId).join(","),
  ],
  ["ZONES", (r) => r.replicas.map((p) => p.zone || "-").join(",")],
];

export function regionsTable(regions: readonly RegionEntry[]): string {
  const cells = [
    COLUMNS.map(([title]) => title),
    ...regions.map((r) => COLUMNS.map(([, value]) => value(r))),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const lines = cells.map((row) =>
    row.map((c, i) => i === row.length - 1 ? c : c.padEnd(widths[i])).join("  ")
  );
  return lines.join("\n") + "\n";
}

/** What `tinykv status` says of the regions (its JSON `regions` field). */
export function regionsSummary(regions: readonly RegionEntry[]) {
  const leaders: Record<string, number> = {};
  let bytes = 0;
  let keys = 0;
  let leaderless = 0;
  for (const r of regions) {
    if (r.leaderId === 0) leaderless++;
    else leaders[r.leaderId] = (leaders[r.leaderId] ?? 0) + 1;
    bytes += r.approximateBytes;
    keys += r.approximateKeys;
  }
  return {
    count: regions.length,
    leaders,
    leaderless,
    approximateBytes: bytes,
    approximateKeys: keys,
  };
}

/** `regions 3 (leaders: node 1 ×2, node 2 ×1), 1.5 MiB, 2000 keys`. */
export function regionsSummaryLine(regions: readonly RegionEntry[]): string {
  const s = regionsSummary(regions);
  const led = Object.entries(s.leaders).map(([id, n]) => `node ${id} ×${n}`);
  if (s.leaderless > 0) led.push(`none ×${s.leaderless}`);
  return `regions ${s.count} (leaders: ${led.join(", ") || "none"}), ` +
    `${sizeText(s.approximateBytes)}, ${s.approximateKeys} keys`;
}

export async function regionsCommand(
  args: readonly string[],
  json: boolean,
  client: TinyKvClient,
  host: ProcessHost,
): Promise<number> {
  if (args.length !== 0) throw new UsageError("usage: tinykv regions [--json]");
  const regions = await client.regions();
  if (json) {
    for (const r of regions) host.writeStdout(JSON.stringify(regionJson(r)) + "\n");
  } else host.writeStdout(regionsTable(regions));
  return 0;
}
