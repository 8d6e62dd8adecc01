/**
 * A node's lease keeper and lease service, wired to what the node has: its
 * clock and Raft timing, its state machine's lease table, `execute`, and a
 * forwarder to the leader. It watches the node from outside, on a timer (one
 * look per heartbeat interval): whether it leads, in which term, and how far
 * it has applied. So the node's own code needs no lease hooks.
 *
 * A new leader's keeper starts only once the node has applied its own term's
 * first entry: before that, its lease table may still hold a lease the old
 * leader revoked (committed, not yet known committed here), and answering a
 * keep-alive for it would be wrong. Until then lease requests get UNAVAILABLE.
 * An expiry revoke is proposed only while the node still leads in the term
 * its keeper started in: a deposed leader must not expire leases (its
 * `execute` would forward the revoke to the new leader).
 */
import { type ClientResponse, ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../client/connection.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";
import { LeaseKeeper, type LeaseSource, minLeaseTtlSeconds } from "../leases/lease_keeper.ts";
import { type LeaderRoute, LeaseService } from "./lease_service.ts";

/** What the keeper reads from the replicated state machine (KvStateMachine). */
export interface LeaseTable {
  readonly leaseTable: LeaseSource;
  leaseKeys(id: number): Promise<Uint8Array[]>;
  readonly revision: number;
  readonly appliedIndex: number;
}

/** The node's Raft state, as the lease wiring reads it (RawNode). */
export interface RaftView {
  readonly isLeader: boolean;
  readonly term: number;
  /** The leader known in this term; 0 when none. */
  readonly lead: number;
  /** The log's last index (a new leader's first entry is in it). */
  lastIndex(): number;
}

export interface NodeLeaseOptions {
  readonly selfId: number;
  readonly clock: Clock;
  readonly electionTimeoutMs: number;
  /** How often the node is looked at and expired leases looked for (a heartbeat interval). */
  readonly checkIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** Read afresh each time: a snapshot from the leader replaces the engine. */
  readonly table: () => LeaseTable;
  readonly raft: () => RaftView;
  readonly execute: (command: CommandInit) => Promise<ClientResponse["body"]>;
  readonly addressOf: (id: number) => string | undefined;
  readonly forward: (address: string, body: RequestBody, timeoutMs: number) => Promise<
    ClientResponse
  >;
  /** A ReadIndex round (LeaseServiceOptions.confirmLeadership). */
  readonly confirmLeadership?: () => Promise<void>;
}

export class NodeLeases {
  readonly keeper: LeaseKeeper;
  readonly service: LeaseService;
  /** The term this node leads in, as last seen (0: not leading). */
  #term = 0;
  /** While leading and not yet caught up: the index the keeper waits to see applied. */
  #startsAt: number | undefined;
  #lastApplied = -1;
  #timer: TimerId | undefined;

  constructor(readonly o: NodeLeaseOptions) {
    this.keeper = new LeaseKeeper({
      clock: o.clock,
      leases: () => o.table().leaseTable,
      propose: (command) => this.#proposeAsLeader(command),
      minTtlSeconds: minLeaseTtlSeconds(o.electionTimeoutMs),
      checkIntervalMs: o.checkIntervalMs,
    });
    this.service = new LeaseService({
      keeper: this.keeper,
      execute: o.execute,
      leaseKeys: (id) => o.table().leaseKeys(id),
      leader: () => this.#route(),
      forward: o.forward,
      timeoutMs: o.requestTimeoutMs,
      revision: () => o.table().revision,
      serving: () => this.#serving(),
      confirmLeadership: o.confirmLeadership,
    });
  }

  start(): void {
    this.#timer = this.o.clock.setTimeout(() => {
      this.observe();
      this.start();
    }, this.o.checkIntervalMs);
  }

  /** Looks at the node once: leadership, term, applied index (the timer calls it). */
  observe(): void {
    const raft = this.o.raft();
    if (!raft.isLeader) {
      this.#term = 0;
      this.#startsAt = undefined;
      this.keeper.setLeading(false);
      return;
    }
    if (raft.term !== this.#term) {
      // Leading in a new term (possibly again, unseen in between): start afresh.
      this.keeper.setLeading(false);
      this.#term = raft.term;
      this.#startsAt = raft.lastIndex();
    }
    const applied = this.o.table().appliedIndex;
    if (this.#startsAt !== undefined && applied >= this.#startsAt) {
      this.#startsAt = undefined;
      this.keeper.setLeading(true);
    }
    if (applied !== this.#lastApplied) this.keeper.applied();
    this.#lastApplied = applied;
  }

  stop(): void {
    if (this.#timer !== undefined) this.o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#term = 0;
    this.#startsAt = undefined;
    this.keeper.stop();
  }

  /** The keeper answers only while Raft still has this node lead in the keeper's term. */
  #serving(): boolean {
    const raft = this.o.raft();
    return this.keeper.leading && raft.isLeader && raft.term === this.#term;
  }

  #proposeAsLeader(command: CommandInit): Promise<unknown> {
    const raft = this.o.raft();
    if (!raft.isLeader || raft.term !== this.#term) {
      return Promise.reject(new ServiceError(ErrorCode.NOT_LEADER, "no longer the leader"));
    }
    return this.o.execute(command);
  }

  #route(): LeaderRoute {
    const lead = this.o.raft().lead;
    if (lead === 0) return { kind: "unknown" };
    if (lead === this.o.selfId) return { kind: "self" };
    const address = this.o.addressOf(lead) ?? "";
    return address === "" ? { kind: "unknown" } : { kind: "peer", address };
  }
}
