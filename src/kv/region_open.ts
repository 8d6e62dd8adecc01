/**
 * Opening every region of a node's engine (a restart): each region with local records comes
 * back with the descriptor it last applied (region_descriptor_record.ts), for the node to add
 * to its multi-region driver. A split child whose split batch never reached the engine before
 * a crash is not among them: its parent replays the split from the log and reports it again.
 * A region whose snapshot import a crash cut short is emptied first and opens uninitialized
 * (`awaitingSnapshot`: region_import_recovery.ts). A new engine opens as region 1.
 */
import type { Db } from "../storage/db.ts";
import { readAllDescriptors } from "./region_descriptor_record.ts";
import { RegionKv } from "./region_apply.ts";
import { recoverRegionImports } from "./region_import_recovery.ts";

/** The regions of the engine, by id; `voters` name region 1's replicas in a pre-split store. */
export async function openRegions(db: Db, voters: readonly number[]): Promise<RegionKv[]> {
  const out: RegionKv[] = [];
  await recoverRegionImports(db);
  const found = readAllDescriptors(db, voters);
  // A new engine has no region-local record yet: it starts as region 1 of a new cluster.
  if (found.length === 0) return [await RegionKv.open(db, 1, { voters })];
  for (const d of found) {
    out.push(await RegionKv.open(db, d.id, { voters }));
  }
  return out;
}
