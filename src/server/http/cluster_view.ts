/**
 * GET /cluster, the dashboard's data: every member's own status (this node's
 * read locally, the others asked over their protobuf ports, since nodes know
 * each other's protobuf addresses but not their HTTP ports), the leader's
 * per-member match index when this node leads, and the leader changes this
 * node saw. Built at most once per `maxAgeMs` however many dashboards poll.
 */
import {
  type ClusterStatus,
  type MemberRow,
  StatusProbe,
  summarize,
} from "../../client/cluster_status.ts";
import { ClientConnection, type PeerHello } from "../../client/connection.ts";
import type { Clock, Net } from "../../platform/types.ts";
import type { LeaderChange } from "../node/leader_history.ts";
import type { NodeStatus } from "../node/status_types.ts";

export interface ClusterViewSource {
  status(): NodeStatus;
  readonly leaderHistory: { changes(): readonly LeaderChange[] };
}

export interface ClusterMember extends MemberRow {
  /** Known only when the node serving the view leads. */
  readonly matchIndex: number | null;
  /** Leader's last index minus `matchIndex` (entries not yet on the member). */
  readonly replicationLag: number | null;
}

export interface ClusterJson {
  /** This node's monotonic clock; `leaderChanges[].agoMs` are relative to it. */
  readonly nowMs: number;
  readonly viewedFrom: number;
  readonly leader: number | null;
  readonly term: number;
  readonly members: readonly ClusterMember[];
  /** Newest first. */
  readonly leaderChanges: readonly { agoMs: number; term: number; leader: number | null }[];
  /** This node's full /status. */
  readonly node: NodeStatus;
}

/** How long a member may take to answer a status request. */
const PROBE_TIMEOUT_MS = 800;

function asClusterStatus(s: NodeStatus): ClusterStatus {
  return {
    id: s.id,
    role: s.role,
    term: s.term,
    leaderId: s.leader,
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    revision: s.revision ?? 0,
    compactedRevision: s.compactedRevision ?? 0,
    members: s.members.map((m) => ({ id: m.id, address: m.address, learner: m.learner })),
    clusterId: s.clusterId ?? null,
    member: s.member !== false,
    regionMode: s.regionMode ?? 0,
  };
}

export class ClusterView {
  readonly #probe: StatusProbe;
  #cached: { atMs: number; json: Promise<ClusterJson> } | undefined;

  constructor(
    readonly source: ClusterViewSource,
    readonly net: Net,
    readonly clock: Clock,
    readonly maxAgeMs = 500,
    /** How this node introduces itself to the others (a peer, when there is a cluster token). */
    hello?: PeerHello,
  ) {
    this.#probe = new StatusProbe(
      net,
      clock,
      PROBE_TIMEOUT_MS,
      (address) => ClientConnection.open(net, clock, address, hello),
    );
  }

  /** The view, rebuilt when the cached one is older than `maxAgeMs`. */
  get(): Promise<ClusterJson> {
    const now = this.clock.nowMs();
    if (this.#cached === undefined || now - this.#cached.atMs >= this.maxAgeMs) {
      this.#cached = { atMs: now, json: this.#build() };
    }
    return this.#cached.json;
  }

  async #build(): Promise<ClusterJson> {
    const self = this.source.status();
    const reports = await this.#probe.probe(self.members, asClusterStatus(self));
    const summary = summarize(reports);
    const lastIndex = typeof self.lastIndex === "number" ? self.lastIndex : self.commitIndex;
    const members = summary.members.map((row): ClusterMember => {
      const match = self.members.find((m) => m.id === row.id)?.matchIndex;
      return {
        ...row,
        matchIndex: match ?? null,
        replicationLag: match === undefined ? null : Math.max(0, lastIndex - match),
      };
    });
    const nowMs = this.clock.nowMs();
    const leaderChanges = [...this.source.leaderHistory.changes()].reverse().map((c) => ({
      agoMs: nowMs - c.atMs,
      term: c.term,
      leader: c.leader,
    }));
    return {
      nowMs,
      viewedFrom: self.id,
      leader: summary.leader,
      term: summary.term,
      members,
      leaderChanges,
      node: self,
    };
  }

  close(): void {
    this.#probe.close();
  }
}
