/**
 * A region's descriptor as its state machine applied it, membership included
 * (docs/regions.md "Membership in the descriptor"). A conf change entry rewrites the region's
 * descriptor record (region_descriptor_record.ts) in the same engine batch as the entry's
 * applied index: its replicas become the configuration after the change (voters of the
 * incoming and, while joint, the outgoing configuration; then learners) and its confVer the
 * entry's Raft index. Indexes only grow and every replica applies the same entries from the
 * same configuration, so the descriptor is identical on every replica, monotonic, and survives
 * a restart or a snapshot (the record is in the engine) whatever the log kept.
 *
 * A change the Raft core refuses (changeConfig fails) is refused here alike: nothing changes.
 * A store with no record yet (written before this, or a joiner before its snapshot) describes
 * the region by the Raft configuration at conf version 1, as before.
 */
import { changeConfig, configFromConfState } from "../../raft/core/confchange/changer.ts";
import { decodeConfChange } from "../../raft/core/confchange/conf_change.ts";
import { type ConfState, type Entry, EntryType } from "../../raft/core/messages.ts";
import { initialRegion, type RegionDescriptor, type Replica } from "../../region/descriptor.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import {
  decodeDescriptor,
  descriptorKey,
  encodeDescriptor,
} from "../../kv/region_descriptor_record.ts";
import type { EngineWrite } from "../../kv/write_set.ts";

/** A Raft configuration (the core's tracker config, reached through the changer). */
type TrackerConfig = ReturnType<typeof configFromConfState>;

/** The replicas of a configuration: voters (incoming and outgoing), then learners; by id. */
export function replicasOf(c: TrackerConfig): Replica[] {
  const byId = (a: number, b: number) => a - b;
  const voters = [...new Set([...c.voters[0], ...c.voters[1]])].sort(byId);
  const learners = [...new Set([...c.learners, ...c.learnersNext])]
    .filter((id) => !voters.includes(id)).sort(byId);
  return [
    ...voters.map((nodeId) => ({ nodeId, role: "voter" as const })),
    ...learners.map((nodeId) => ({ nodeId, role: "learner" as const })),
  ];
}

/** The replicas of a Raft configuration as a descriptor lists them. */
export function confStateReplicas(cs: ConfState): Replica[] {
  return replicasOf(configFromConfState(cs));
}

/**
 * The descriptor of a region with no record (region 1 before its first split or member change):
 * the initial one, its replicas those of its configuration.
 */
export function impliedDescriptor(regionId: number, cs: ConfState): RegionDescriptor {
  return { ...initialRegion([]), id: regionId, replicas: confStateReplicas(cs) };
}

/** What a conf change entry does to its region's descriptor. */
export interface MemberChange {
  /** The entry's Raft index. */
  readonly confVer: number;
  /** The configuration after the change. */
  readonly replicas: readonly Replica[];
}

/** `d` with the replicas and conf version `change` leaves. */
export function withChange(d: RegionDescriptor, change: MemberChange): RegionDescriptor {
  return { ...d, epoch: { ...d.epoch, confVer: change.confVer }, replicas: change.replicas };
}

export class RegionMembers {
  /** The record as of `#loadedFor`'s engine (undefined: none written yet). */
  #record: RegionDescriptor | undefined;
  #loadedFor: KvStateMachine | undefined;
  #fallback: { confState: ConfState; descriptor: RegionDescriptor } | undefined;

  constructor(
    readonly regionId: number,
    /** The region's state machine now (a snapshot swaps in another: the record is re-read). */
    readonly kv: () => KvStateMachine,
    /** The region's Raft configuration as of the last applied entry. */
    readonly confState: () => ConfState,
  ) {}

  /** The descriptor the region's state machine has applied. */
  get descriptor(): RegionDescriptor {
    const kv = this.kv();
    if (kv !== this.#loadedFor) {
      const value = kv.db.get(descriptorKey(this.regionId));
      this.#record = value === undefined ? undefined : decodeDescriptor(value);
      this.#loadedFor = kv;
    }
    return this.#record ?? this.#fromConfig();
  }

  #fromConfig(): RegionDescriptor {
    const confState = this.confState();
    if (this.#fallback?.confState !== confState) {
      this.#fallback = { confState, descriptor: impliedDescriptor(this.regionId, confState) };
    }
    return this.#fallback.descriptor;
  }

  /**
   * The change each conf change entry among `entries` makes, by index, for the entries the state
   * machine will apply next (those above `applied`; the replayed ones below only advance the
   * configuration). `entries` follow every entry whose change the configuration holds. Only the
   * replicas and conf version: the rest of the descriptor is the one the entries before the change
   * left (`after`), which a split among them narrows.
   */
  plan(entries: readonly Entry[], applied: number): Map<number, MemberChange> {
    const out = new Map<number, MemberChange>();
    let config: TrackerConfig | undefined;
    for (const e of entries) {
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      if (cc === undefined) continue; // refused at proposal: every replica skips it alike
      const next = changeConfig(config ?? configFromConfState(this.confState()), cc);
      if (!next.ok) continue;
      config = next.config;
      if (e.index <= applied) continue;
      out.set(e.index, { confVer: e.index, replicas: replicasOf(config) });
    }
    return out;
  }

  /** The descriptor after `change`: the current one (every earlier entry applied) changed. */
  after(change: MemberChange): RegionDescriptor {
    return withChange(this.descriptor, change);
  }

  /** The engine write of a planned descriptor. */
  write(d: RegionDescriptor): EngineWrite {
    return { key: descriptorKey(d.id), value: encodeDescriptor(d) };
  }

  /** The batch holding `d` is written: it is the region's descriptor now. */
  applied(d: RegionDescriptor): void {
    this.#record = d;
    this.#loadedFor = this.kv();
  }
}
