/**
 * Membership changes the way an operator makes them (docs/membership.md),
 * through the real client library's admin calls: remove a node, and give a
 * node that lost its disk (or was removed) a new, empty one, start it with
 * `join` and add it back. Each step may be refused or time out under faults;
 * the callers retry in the heal phase.
 */
import { TinyKvError } from "../client/errors.ts";
import { errorMessage } from "../util/errors.ts";
import type { SimCluster } from "./sim_cluster.ts";
import { kvAddress, type SimNode } from "./sim_node.ts";

/** Removes `id`; true once it is not a member (also when it already was not). */
export async function removeMember(c: SimCluster, id: number): Promise<boolean> {
  try {
    await c.admin((a) => a.removeMember(id));
    c.note(`admin remove ${id} ok`);
    return true;
  } catch (err) {
    c.note(`admin remove ${id} failed: ${errorMessage(err)}`);
    return err instanceof TinyKvError && /not a member/.test(err.message);
  }
}

/** Adds `id` (as a learner, promoted once caught up); true once it is a voter. */
export async function addMember(c: SimCluster, id: number): Promise<boolean> {
  try {
    const members = await c.admin((a) => a.addMember(id, kvAddress(id)));
    const self = members.find((m) => m.id === id);
    c.note(
      `admin add ${id} ${self === undefined ? "missing" : self.learner ? "learner" : "voter"}`,
    );
    // Where region 1 keeps `--replicas` voters, a member may be a learner (placement promotes).
    return self !== undefined && (!self.learner || c.firstRegionVoters !== undefined);
  } catch (err) {
    c.note(`admin add ${id} failed: ${errorMessage(err)}`);
    return false;
  }
}

/**
 * The procedure for a node whose data is lost or untrusted: remove it, stop
 * it, give it an empty disk, start it with `join`, add it back. Stops at the
 * first refused step and says how far it got.
 */
export async function wipeAndRejoin(
  c: SimCluster,
  node: SimNode,
): Promise<"removed" | "rejoined" | "refused"> {
  if (!await removeMember(c, node.id)) return "refused";
  await node.stop();
  await node.replaceDisk();
  try {
    await node.start(true);
  } catch (err) {
    c.note(`${node.name} join start failed: ${errorMessage(err)}`);
    return "removed";
  }
  return await addMember(c, node.id) ? "rejoined" : "removed";
}
