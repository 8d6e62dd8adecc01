/**
 * Opening every region of a node's engine (a restart): each region with local records comes
 * back with the descriptor it last applied (region_descriptor_record.ts), for the node to add
 * to its multi-region driver. A split child whose split batch never reached the engine before
 * a crash is not among them: its parent replays the split from the log and reports it again.
 */
import type { Db } from "../storage/db.ts";
import { readAllDescriptors } from "./region_descriptor_record.ts";
import { RegionKv } from "./region_apply.ts";

/** The regions of the engine, by id; `voters` name region 1's replicas in a pre-split store. */
export async function openRegions(db: Db, voters: readonly number[]): Promise<RegionKv[]> {
  const out: RegionKv[] = [];
  for (const d of readAllDescriptors(db, voters)) {
    out.push(await RegionKv.open(db, d.id, { voters }));
  }
  return out;
}
