/**
 * Per-region series for /metrics (docs/operations.md, "Regions"): each region this node holds,
 * labelled by its id, read from the node's region catalog at scrape time. With one Raft group
 * that is region 1; the series are cleared and refilled at each scrape, so a region that left
 * the node leaves no stale series.
 */
import { REGIONS_RESPONSE_MAX } from "../../limits_ops.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import type { MetricsRegistry } from "./registry.ts";

const EMPTY = new Uint8Array(0);

export function addRegionMetrics(r: MetricsRegistry, catalog: RegionCatalog): void {
  const g = (name: string, help: string) => r.gauge(name, help, ["region"]);
  const count = r.gauge("tinykv_regions", "Regions this node holds a replica of.");
  const leading = r.gauge("tinykv_regions_leading", "Regions this node leads.");
  const bytes = g("tinykv_region_approximate_bytes", "Estimated engine bytes of the region.");
  const keys = g("tinykv_region_approximate_keys", "Estimated keys in the region.");
  const leader = g(
    "tinykv_region_leader_id",
    "The region's leader as this node knows it; 0: none.",
  );
  const isLeader = g("tinykv_region_is_leader", "1 when this node leads the region.");
  const applied = g("tinykv_region_applied_index", "This node's applied index of the region.");
  const version = g("tinykv_region_epoch_version", "The region's epoch version (splits, merges).");
  const confVer = g("tinykv_region_epoch_conf_version", "The region's epoch conf version.");
  const series = [bytes, keys, leader, isLeader, applied, version, confVer];
  r.onCollect(() => {
    for (const s of series) s.clear();
    const regions = catalog.regionsOverlapping(EMPTY, EMPTY);
    let led = 0;
    // At most one answer's worth of regions: a scrape stays small whatever the region count.
    for (const d of regions.slice(0, REGIONS_RESPONSE_MAX)) {
      const report = catalog.report(d.id);
      if (report === undefined) continue;
      const region = String(d.id);
      bytes.set(report.approximateBytes, { region });
      keys.set(report.approximateKeys, { region });
      leader.set(report.leaderId, { region });
      isLeader.set(report.leaderId === catalog.selfId ? 1 : 0, { region });
      applied.set(report.appliedIndex, { region });
      version.set(d.epoch.version, { region });
      confVer.set(d.epoch.confVer, { region });
      if (report.leaderId === catalog.selfId) led++;
    }
    count.set(regions.length);
    leading.set(led);
  });
}
