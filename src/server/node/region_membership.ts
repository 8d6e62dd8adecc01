/**
 * Membership of every region (docs/regions.md "Membership of every region"). A node added to or
 * removed from the cluster is added to or removed from region 1 (`member add/remove`,
 * membership.ts). The other regions' replicas are the placement service's to choose
 * (region_operators.ts): a new member gets replicas when placement adds or moves them there. One
 * rule stays here, because it is the cluster's and not placement's: a node region 1 no longer
 * has left the cluster, so the leader of every other region removes it, one simple change at a
 * time (a leader that is itself removed hands its leadership to another voter first). Checked
 * every `intervalMs`; a change the region refuses (another still pending) is proposed again.
 *
 * A region's conf change entry rewrites its descriptor record like region 1's
 * (region_members.ts): `applyRegionEntries` applies each conf change entry in its own batch, so
 * the descriptor it writes is the one the entries before it left (a split among them).
 */
import type { Clock } from "../../platform/types.ts";
import type { Logger } from "../log/logger.ts";
import { ConfChangeTransition, ConfChangeType } from "../../raft/core/confchange/conf_change.ts";
import {
  type ConfState,
  EMPTY_CONF_STATE,
  type Entry,
  EntryType,
} from "../../raft/core/messages.ts";
import type { RegionKv } from "../../kv/region_apply.ts";
import type { Replica } from "../../region/descriptor.ts";
import { type Applied, applyEntries } from "./apply_entries.ts";
import { changeConfig, configFromConfState } from "../../raft/core/confchange/changer.ts";
import { decodeConfChange } from "../../raft/core/confchange/conf_change.ts";
import type { HostedRegion } from "./hosted_region.ts";
import { confStateReplicas, RegionMembers, replicasOf } from "./region_members.ts";

export interface RegionMembershipDeps {
  readonly regions: () => readonly HostedRegion[];
  /** Region 1's configuration as this node applied it. */
  readonly first: () => ConfState;
  readonly selfId: number;
  /** Hands region `region`'s leadership to `to` (the driver's, which marks it for a round). */
  readonly transferLeader: (region: number, to: number) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
}

type Change = { type: ConfChangeType; nodeId: number } | { transferTo: number } | undefined;

/** The first removal of a member region 1 (`want`, the cluster's members) no longer has. */
export function nextChange(
  want: ConfState,
  r: { confState: ConfState; self: number },
): Change {
  const target = confStateReplicas(want);
  const held = confStateReplicas(r.confState);
  for (const h of held) {
    if (target.some((w) => w.nodeId === h.nodeId)) continue;
    if (h.nodeId !== r.self) return { type: ConfChangeType.RemoveNode, nodeId: h.nodeId };
    const voter = (id: number) => held.some((x) => x.nodeId === id && x.role === "voter");
    const next = target.find((w) => w.role === "voter" && voter(w.nodeId));
    if (next !== undefined) return { transferTo: next.nodeId };
  }
  return undefined;
}

export class RegionMembership {
  #timer: number | undefined;
  /** Changes proposed (for tests and status). */
  proposed = 0;

  constructor(readonly d: RegionMembershipDeps) {}

  start(): void {
    const again = () => {
      this.#timer = this.d.clock.setTimeout(() => {
        this.check();
        if (this.#timer !== undefined) again();
      }, this.d.intervalMs);
    };
    again();
  }

  stop(): void {
    if (this.#timer !== undefined) this.d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Proposes the next change of each region this node leads, other than region 1. */
  check(): void {
    const want = this.d.first();
    for (const r of this.d.regions()) {
      if (r.id === 1 || !r.group.rawNode.isLeader) continue;
      const st = r.group.rawNode.status();
      if (st.confState.votersOutgoing.length > 0 || st.leadTransferee !== 0) continue;
      const change = nextChange(want, { confState: st.confState, self: this.d.selfId });
      if (change === undefined) continue;
      if ("transferTo" in change) {
        this.d.transferLeader(r.id, change.transferTo);
      } else {
        const cc = { transition: ConfChangeTransition.Auto, changes: [change] };
        if (!r.group.proposeConfChange(cc).ok) continue;
      }
      r.group.kick();
      this.proposed++;
      this.d.logger.info("region.membership", { region: r.id, ...change });
    }
  }
}

/**
 * Applies a region's entries (other than region 1's), each conf change entry in its own batch
 * with its descriptor record (region_members.ts), which the region then adopts.
 */
export async function applyRegionEntries(
  r: { readonly id: number; readonly kv: RegionKv },
  entries: readonly Entry[],
  o: { readonly collectGarbage?: () => void },
): Promise<Applied> {
  if (entries.every((e) => e.type !== EntryType.ConfChange)) return applyEntries(r.kv, entries, o);
  const outcomes = new Map<number, Uint8Array>();
  const memberWrites: Applied["memberWrites"] = [];
  let run: Entry[] = [];
  // The configuration before each conf change: the region's descriptor, which is as of its
  // applied index (the log's configuration need not be: after an image newer than its Raft
  // snapshot, or at a restart), then each change of the batch in turn. Regions other than 1
  // change one member at a time (RegionMembership), never through a joint configuration.
  let cs = confStateOf(r.kv.descriptor.replicas);
  const flush = async (conf?: Entry) => {
    if (run.length > 0) {
      const done = await applyEntries(r.kv, run, o);
      for (const [i, out] of done.outcomes) outcomes.set(i, out);
      run = [];
    }
    if (conf === undefined) return;
    const before = cs;
    const members = new RegionMembers(r.id, () => r.kv.kv, () => before);
    const done = await applyEntries(r.kv, [conf], o, members);
    for (const [i, out] of done.outcomes) outcomes.set(i, out);
    memberWrites.push(...done.memberWrites);
    r.kv.adopt(members.descriptor);
    const cc = conf.index > applied ? decodeConfChange(conf.data) : undefined;
    const next = cc === undefined ? undefined : changeConfig(configFromConfState(cs), cc);
    if (next?.ok === true) cs = confStateOf(replicasOf(next.config));
  };
  const applied = r.kv.appliedIndex;
  for (const e of entries) {
    if (e.type === EntryType.ConfChange) await flush(e);
    else run.push(e);
  }
  await flush();
  return { outcomes, memberWrites };
}

/** The configuration replicas name (never joint: see applyRegionEntries). */
function confStateOf(replicas: readonly Replica[]): ConfState {
  const ids = (role: string) => replicas.filter((x) => x.role === role).map((x) => x.nodeId);
  return { ...EMPTY_CONF_STATE, voters: ids("voter"), learners: ids("learner") };
}
