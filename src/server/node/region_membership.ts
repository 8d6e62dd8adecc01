/**
 * Membership of every region (docs/regions.md "Membership of every region"). A node added to or
 * removed from the cluster is added to or removed from region 1 (`member add/remove`,
 * membership.ts). The other regions' replicas are the placement service's to choose
 * (region_operators.ts): a new member gets replicas when placement adds or moves them there.
 * Two rules stay here, because they follow the cluster's membership and should not wait for
 * placement's next pass: a node region 1 no longer has left the cluster, so the leader of every
 * other region removes it (a leader that is itself removed hands its leadership to another voter
 * first); and a region left with fewer voters than `--replicas` (a member removed) takes region
 * 1's members back, as a learner first, promoted once caught up. One simple change at a time,
 * checked every `intervalMs`; a change the region refuses (another pending) is proposed again.
 *
 * A region's conf change entry rewrites its descriptor record like region 1's
 * (region_members.ts): `applyRegionEntries` applies each conf change entry in its own batch, so
 * the descriptor it writes is the one the entries before it left (a split among them).
 */
import { RepeatingCheck } from "./repeating_check.ts";
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
import {
  confStateReplicas,
  type MemberChange,
  RegionMembers,
  replicasOf,
} from "./region_members.ts";
import type { CarriedEntry } from "../../kv/region_merge_command.ts";
import { confRefused, recordConfRefused } from "../../kv/refused_conf_changes.ts";

export interface RegionMembershipDeps {
  readonly regions: () => readonly HostedRegion[];
  /** Region 1's configuration as this node applied it. */
  readonly first: () => ConfState;
  readonly selfId: number;
  /** `--replicas`: below it, a region takes region 1's members back (nextChange). */
  readonly replicas: number;
  /** Hands region `region`'s leadership to `to` (the driver's, which marks it for a round). */
  readonly transferLeader: (region: number, to: number) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
}

type Change = { type: ConfChangeType; nodeId: number } | { transferTo: number } | undefined;

/**
 * The first change toward region 1's members (`want`): a member region 1 no longer has leaves;
 * and while the region has fewer voters than `replicas` (and region 1 has), a member of region 1
 * joins as a learner and is promoted once caught up, so a region that lost a replica to a
 * `member remove` heals at once. Any other choice of replicas is the placement service's.
 */
export function nextChange(
  want: ConfState,
  r: { confState: ConfState; self: number; replicas: number; caughtUp: (id: number) => boolean },
): Change {
  const target = confStateReplicas(want);
  // A node that joined and has not yet had region 1's image knows no members: acting on that
  // empty view would remove every other replica of a region it leads (sim seed 99).
  if (!target.some((w) => w.role === "voter")) return undefined;
  const held = confStateReplicas(r.confState);
  const voters = held.filter((h) => h.role === "voter").length;
  // Region 1's learners are members too: a sharded cluster's region 1 has only `--replicas`
  // voters (docs/regions.md "Region 1's voters").
  const members = target.map((w) => w.nodeId);
  const wanted = Math.min(r.replicas, members.length);
  if (voters < wanted) {
    // A learner that is a member is promoted (once caught up) before anyone else joins.
    const learner = held.find((h) => h.role === "learner" && members.includes(h.nodeId));
    if (learner !== undefined) {
      if (!r.caughtUp(learner.nodeId)) return undefined;
      return { type: ConfChangeType.AddNode, nodeId: learner.nodeId };
    }
    const missing = members.find((id) => !held.some((h) => h.nodeId === id));
    if (missing !== undefined) return { type: ConfChangeType.AddLearner, nodeId: missing };
  }
  for (const h of held) {
    if (target.some((w) => w.nodeId === h.nodeId)) continue;
    if (h.nodeId !== r.self) return { type: ConfChangeType.RemoveNode, nodeId: h.nodeId };
    const voter = (id: number) => held.some((x) => x.nodeId === id && x.role === "voter");
    const next = target.find((w) => voter(w.nodeId));
    if (next !== undefined) return { transferTo: next.nodeId };
  }
  return undefined;
}

export class RegionMembership {
  readonly #repeat: RepeatingCheck;
  /** Changes proposed (for tests and status). */
  proposed = 0;

  constructor(readonly d: RegionMembershipDeps) {
    this.#repeat = new RepeatingCheck(d.clock, d.intervalMs, () => this.check());
  }

  start(): void {
    this.#repeat.start();
  }

  stop(): void {
    this.#repeat.stop();
  }

  /** Proposes the next change of each region this node leads, other than region 1. */
  check(): void {
    const want = this.d.first();
    for (const r of this.d.regions()) {
      // A merge's source changes no member from its prepare on (region_merge_check.ts).
      if (r.id === 1 || !r.group.rawNode.isLeader || r.kv.merge !== undefined) continue;
      const st = r.group.rawNode.status();
      if (st.confState.votersOutgoing.length > 0 || st.leadTransferee !== 0) continue;
      const caughtUp = (id: number) => (st.progress.get(id)?.match ?? 0) >= st.commit;
      const self = this.d.selfId;
      const replicas = this.d.replicas;
      const change = nextChange(want, { confState: st.confState, self, replicas, caughtUp });
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
 *
 * A merge's source changes no member from its prepare on: a change that reaches its log after
 * the PrepareMerge (proposed before the prepare applied) is applied as a no-op, listed in
 * `refused` so that the driver leaves the region's configuration as it was too. Taken, it made
 * the source's voters differ from its target's, whose every commit was then refused, while the
 * source, frozen, was never rolled back: its keys were unavailable for good (sim seed 242 with
 * merges). Every replica decides alike: on the merge state its log left before the entry. The
 * refusal is recorded (refused_conf_changes.ts): an entry handed again at or below the applied
 * index (after an image newer than its Raft snapshot, or a restart) is refused by the record.
 */
export async function applyRegionEntries(
  r: { readonly id: number; readonly kv: RegionKv },
  entries: readonly Entry[],
  o: { readonly collectGarbage?: () => void },
  /**
   * Where each refused conf change's index goes as it is decided: filled even when a later entry
   * of the batch throws (a merge's commit waiting for its source), so the caller can still tell
   * the driver. Lost with the throw, a refusal let the driver take a change the descriptor never
   * took (sim seed 644 with merges: a voter gone from the leader's Raft configuration alone).
   */
  refused: number[] = [],
): Promise<Applied> {
  if (entries.every((e) => e.type !== EntryType.ConfChange)) return applyEntries(r.kv, entries, o);
  const oneRegion = { ...o, memberAddresses: false }; // a replica moved, no member left or came
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
    const db = r.kv.kv.db;
    if (conf.index <= applied) {
      // Handed again (an image newer than the Raft snapshot, a restart): as it was decided then.
      if (confRefused(db, r.id, conf.index)) return void refused.push(conf.index);
    } else if (r.kv.merge !== undefined) {
      const writes = recordConfRefused(db, r.id, conf.index); // the record only: no change
      const done = await r.kv.apply([{ index: conf.index, data: null, writes }]);
      for (const [i, out] of done) outcomes.set(i, out);
      return void refused.push(conf.index);
    }
    const before = cs;
    const members = new RegionMembers(r.id, () => r.kv.kv, () => before);
    const done = await applyEntries(r.kv, [conf], oneRegion, members);
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
  return { outcomes, memberWrites, refused };
}

/** The configuration replicas name (never joint: see applyRegionEntries). */
function confStateOf(replicas: readonly Replica[]): ConfState {
  const ids = (role: string) => replicas.filter((x) => x.role === role).map((x) => x.nodeId);
  return { ...EMPTY_CONF_STATE, voters: ids("voter"), learners: ids("learner") };
}

/**
 * The descriptor change each membership change among a lagging merge source's tail makes
 * (kv/region_merge_catch_up.ts), by index: as applyRegionEntries applies them, each from the
 * configuration the descriptor (then the change before it) names; a change the core refuses
 * changes nothing, on every replica alike.
 */
export function sourceMemberChanges(
  source: RegionKv,
  tail: readonly CarriedEntry[],
  applied: number,
): Map<number, MemberChange> {
  const out = new Map<number, MemberChange>();
  let cs = confStateOf(source.descriptor.replicas);
  for (const x of tail) {
    if (x.confChange === undefined || x.index <= applied) continue;
    const cc = decodeConfChange(x.confChange);
    const next = cc === undefined ? undefined : changeConfig(configFromConfState(cs), cc);
    if (next?.ok !== true) continue;
    const replicas = replicasOf(next.config);
    out.set(x.index, { confVer: x.index, replicas });
    cs = confStateOf(replicas);
  }
  return out;
}
