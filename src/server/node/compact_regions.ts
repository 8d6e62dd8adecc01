/**
 * A client's `compact` on a node holding many regions (docs/decisions/0018-revisions-from-tso.md).
 * Revisions are timestamps, comparable across regions, so compacting at revision C means every
 * region at C. The command is region 1's, as before: region 1 is first closed at C
 * (reads_at_timestamp.ts: if it wrote nothing since C, a barrier moves its revision past C), then
 * compacts at C, and the answer is region 1's. Every other region's leader follows region 1's
 * compacted revision within a retention tick (region_services.ts, `floor`): it compacts at C, or
 * at its own revision when that is lower (it has no change between the two), so a read below C
 * fails with COMPACTED in every region once they followed.
 */
import type { CommandInit } from "../../kv/command_codec.ts";
import type { CommandOutcome } from "../kv_service.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { RegionHost } from "./region_host.ts";
import { closeAt } from "./reads_at_timestamp.ts";

export async function compactRegions(
  host: RegionHost,
  revision: number,
  command: CommandInit,
  close: (r: HostedRegion, at: number) => Promise<unknown>,
  execute: (command: CommandInit) => Promise<CommandOutcome>,
): Promise<CommandOutcome> {
  const first = host.region(1);
  if (first === undefined) throw new Error("region 1 is not hosted");
  // Only region 1's leader closes it, with a barrier: the compact's apply needs the region's own
  // revision at C, which a close without an entry (reads') does not move. Elsewhere the command
  // goes to that leader, which comes here.
  if (!first.group.rawNode.isLeader) return await execute(command);
  await closeAt([first], revision, close);
  return await execute(command);
}
