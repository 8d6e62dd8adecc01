/**
 * On a node that lost its state, a split child does not vote until it has caught up with its own
 * leader (docs/regions.md "Split children of a replica catching up").
 *
 * A node that lost its state (rebuild.ts) gets region 1 back from its leader's log and replays
 * its splits: each child starts at its split's index with an empty log of its own, though
 * before the wipe this node held, and acknowledged, the child's later entries. Voting at once,
 * it granted its vote to a replica lacking an entry it had helped commit: the simulator's
 * regions seed 459 elected such a leader for region 3 with the wiped node's vote, and a bank
 * transfer committed there was lost; any region's replica there, created from a peer's message
 * and catching up (region_creation.ts), replays splits the same way. So a child whose parent
 * replica did not vote yet when the split was applied holds its vote too, and gets it back once
 * it has applied its leader's commit index confirmed after now (one read barrier, as a created
 * replica does). Judged at the split, not when the child is added: a parent may catch up (region
 * 1 at `rebuild.done`, a created replica after its image) in between, and such a child voted at
 * once (session 30, tests/server/region_rebuild_votes_test.ts). A split applied after the parent
 * caught up lies past every index the node could have acknowledged before it lost its state (the
 * parent's barrier index is a commit index read after the wipe), so its child votes at once, as
 * does every child on a node that did not lose its state (a hold there only cost availability).
 */
import type { SplitReport } from "../../kv/region_apply.ts";
import type { HostedRegion, RegionHostDeps } from "./hosted_region.ts";

/** How often a held child asks again for its leader's commit index. */
const CATCH_UP_RETRY_MS = 300;

/** The node's regions (region_host.ts). */
export interface ChildVoteDeps {
  region(id: number): HostedRegion | undefined;
  readonly d: Pick<RegionHostDeps, "raft" | "closed" | "o">;
}

/**
 * The children whose parent replica here did not vote yet when their split was applied, on a
 * node that lost its state (region_host.ts asks at the split, not when the child is added: the
 * parent may have caught up in between). A parent that is itself such a child, still being added
 * (its hold not set yet), counts as not voting: its entries may be applied before its hold is.
 */
export class SplitHolds {
  readonly #decided = new Set<number>();

  constructor(readonly host: ChildVoteDeps) {}

  /** A split was applied here. */
  applied(split: SplitReport): void {
    if (this.host.d.o.rebuild !== true) return;
    const parent = split.left.id;
    const held = this.#decided.has(parent) || this.host.region(parent)?.group.suppressVotes;
    if (held === true) this.#decided.add(split.right.id);
  }

  /** Those of `ids` to hold. */
  decided(ids: readonly number[]): number[] {
    return ids.filter((id) => this.#decided.has(id));
  }

  /** Holds `ids` (added to the driver now): from here their own flag speaks for them. */
  hold(ids: readonly number[]): void {
    holdChildVotes(this.host, ids);
    for (const id of ids) this.#decided.delete(id);
  }
}

/** Holds each child's vote (added to the driver already) until it has caught up. */
export function holdChildVotes(d: ChildVoteDeps, ids: readonly number[]): void {
  for (const id of ids) {
    const child = d.region(id);
    if (child === undefined) continue;
    child.group.suppressVotes = true;
    void catchUp(d, id, child);
  }
}

async function catchUp(host: ChildVoteDeps, id: number, child: HostedRegion): Promise<void> {
  const d = host.d;
  const gone = () => d.closed?.() === true || d.raft.driver.regionNode(id) === undefined;
  if (!await child.reads.passOnce(CATCH_UP_RETRY_MS, gone)) return;
  if (host.region(id) !== child) return;
  child.group.suppressVotes = false;
  d.o.logger.info("region.child_caught_up", { region: id });
}
