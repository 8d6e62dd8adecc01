/**
 * Adding the child region of a split to a multi-region driver (docs/regions.md "The split
 * command"). Every replica of the parent applies the split at the same index, so each
 * bootstraps the child's log alike: a snapshot marker at the split's index with the replicas
 * the split's descriptor names, at term SPLIT_CHILD_TERM, and the commit at that index (as
 * TiKV's initial index and term). The child's state machine starts at that index (its applied
 * index is the split's), so the log and the state agree, and the child's leader replicates
 * from there: no replica needs a snapshot of the child at its birth.
 *
 * The host calls `addSplitChildren` between driver runs (`addRegions` refuses during one);
 * until then the child's messages are dropped here and counted (`droppedMessages`), and its
 * leader retries them.
 */
import { overlaps, type RegionDescriptor } from "../../region/descriptor.ts";
import { EMPTY_CONF_STATE } from "../core/messages.ts";
import type { PersistRequest } from "../log_store.ts";
import type { MultiLogStore } from "../multi_log_store.ts";
import type { MultiRaftDriver, RegionSpec } from "./driver.ts";

/** The term of a split child's first log position; its elections start above it. */
export const SPLIT_CHILD_TERM = 1;

export interface SplitChild {
  /** The child's replica (no `voters`: the bootstrap is the marker below). */
  readonly spec: Omit<RegionSpec, "voters">;
  /** The split's index: the child's applied index. */
  readonly index: number;
  /**
   * Found on the engine at a restart (`index` is the engine's applied index): the split's only
   * when this node's log never held the region. See `addSplitChildren`.
   */
  readonly fromEngine?: boolean;
  /** The child's descriptor: its replicas make the marker's configuration. */
  readonly descriptor: RegionDescriptor;
  /**
   * Campaign at once: set on the node that leads the parent, so the child has a leader without
   * waiting an election timeout (as TiKV). Its votes reach the replicas that applied the split;
   * the others drop them, and the usual election timeout retries.
   */
  readonly campaign?: boolean;
}

/**
 * The first save of a split child's log. `seen` is the hard state the log holds already: an
 * uninitialized replica a peer's message created before this node applied the split
 * (server/node/region_creation.ts) may have saved a later term and a vote, which stay.
 */
export function splitChildBootstrap(
  index: number,
  d: RegionDescriptor,
  seen: { term: number; vote: number } = { term: 0, vote: 0 },
): PersistRequest {
  const ids = (role: string) => d.replicas.filter((r) => r.role === role).map((r) => r.nodeId);
  const confState = { ...EMPTY_CONF_STATE, voters: ids("voter"), learners: ids("learner") };
  const term = SPLIT_CHILD_TERM;
  const held = seen.term >= term;
  return {
    hardState: { term: held ? seen.term : term, vote: held ? seen.vote : 0, commit: index },
    entries: [],
    snapshot: { metadata: { index, term, confState }, data: new Uint8Array(0) },
    mustSync: true,
  };
}

/**
 * Bootstraps the logs of split children that have none (one save), then adds them to the
 * driver. A child whose log exists (a restart that replays the split after its log was saved)
 * keeps it.
 *
 * A region found on the engine at a restart (`fromEngine`) whose log this node held already,
 * with neither entries nor a marker, is taken for a replica created from a peer's message
 * (server/node/region_creation.ts saves its log first) whose image reached the engine while a
 * crash lost the snapshot's marker (the image is installed before the marker is saved).
 * The engine's applied index is then the image's, whose term this node does not know: a marker
 * there at SPLIT_CHILD_TERM made a log entry the leader's log does not have (the simulator's
 * seed 24: a marker (188, term 1) where the leader's entry 188 is of term 2, at the replica's
 * commit, so the leader's appends never landed). Its log stays empty; the leader, finding
 * nothing to append to, sends a snapshot again.
 */
export async function addSplitChildren(
  driver: MultiRaftDriver,
  log: MultiLogStore,
  children: readonly SplitChild[],
): Promise<void> {
  const held = new Set(log.regionIds()); // before `group` adds the views below
  const boot = new Map<number, PersistRequest>();
  for (const c of children) {
    if (driver.region(c.spec.id) !== undefined) continue;
    if (c.fromEngine === true && held.has(c.spec.id)) continue; // an existing log is kept
    const view = log.group(c.spec.id);
    if (view.snapshotMarker.index === 0 && view.lastIndex() === 0) {
      boot.set(c.spec.id, splitChildBootstrap(c.index, c.descriptor, view.hardState));
    }
  }
  if (boot.size > 0) await log.save(boot);
  const added = children.filter((c) => driver.region(c.spec.id) === undefined);
  await driver.addRegions(added.map((c) => c.spec));
  for (const c of added) {
    if (c.campaign !== true) continue;
    driver.region(c.spec.id)?.rawNode.campaign();
    driver.markDirty(c.spec.id);
  }
}

/**
 * Whether this node may create a replica of region `incoming` that it learns of from a peer
 * (not from its own split): never when the range overlaps a local region, since the two would
 * own the same keys of the shared engine. The overlap means this node has not yet applied a
 * split or merge the sender has: it catches up on the local region first (by log, or by that
 * region's snapshot, after which the check passes), and the sender retries.
 */
export function mayCreateReplica(
  local: readonly RegionDescriptor[],
  incoming: RegionDescriptor,
): { ok: true } | { ok: false; overlaps: number } {
  for (const d of local) {
    if (d.id === incoming.id) return { ok: false, overlaps: d.id };
    if (overlaps(d, incoming)) return { ok: false, overlaps: d.id };
  }
  return { ok: true };
}
