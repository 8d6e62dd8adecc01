/**
 * Builds a node's lease keeper and lease service from what the node has: its
 * clock and Raft timing, its state machine's lease table, `execute`, and the
 * leader forwarder. The node calls `leadershipChanged` from its soft-state
 * hook, `applied` after each apply pass (and after a snapshot swap), and
 * `stop` when it closes.
 *
 * A new leader's keeper starts only once the node has applied its own term's
 * first entry: before that, its lease table may still hold a lease the old
 * leader revoked (committed, not yet known committed here), and answering a
 * keep-alive for it would be wrong. Until then lease requests get UNAVAILABLE.
 */
import type { ClientResponse } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../client/connection.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { Clock } from "../../platform/types.ts";
import { LeaseKeeper, type LeaseRecord, minLeaseTtlSeconds } from "../leases/lease_keeper.ts";
import { type LeaderRoute, LeaseService } from "./lease_service.ts";

/** What the keeper reads from the replicated state machine (KvStateMachine). */
export interface LeaseTable {
  readonly leases: ReadonlyMap<number, LeaseRecord>;
  leaseKeys(id: number): Promise<Uint8Array[]>;
  readonly revision: number;
}

export interface NodeLeaseOptions {
  readonly selfId: number;
  readonly clock: Clock;
  readonly electionTimeoutMs: number;
  /** How often the leader looks for expired leases (a heartbeat interval). */
  readonly checkIntervalMs: number;
  readonly requestTimeoutMs: number;
  /** Read afresh each time: a snapshot from the leader replaces the engine. */
  readonly table: () => LeaseTable;
  readonly execute: (command: CommandInit) => Promise<ClientResponse["body"]>;
  /** The leader this node knows (0: none) and the address of a member. */
  readonly leaderId: () => number;
  readonly addressOf: (id: number) => string | undefined;
  readonly forward: (address: string, body: RequestBody, timeoutMs: number) => Promise<
    ClientResponse
  >;
  /** The state machine's applied index. */
  readonly appliedIndex: () => number;
}

export class NodeLeases {
  readonly keeper: LeaseKeeper;
  readonly service: LeaseService;
  /** While leading and not yet caught up: the index the keeper waits to see applied. */
  #startsAt: number | undefined;

  constructor(readonly o: NodeLeaseOptions) {
    this.keeper = new LeaseKeeper({
      clock: o.clock,
      leases: () => o.table().leases,
      propose: (command) => o.execute(command),
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
    });
  }

  /**
   * From the node's soft-state hook: `leaderId` is the leader Raft now knows;
   * `lastIndex` the log's last index (a new leader's first entry is in it).
   */
  leadershipChanged(leaderId: number, lastIndex: number): void {
    if (leaderId !== this.o.selfId) {
      this.#startsAt = undefined;
      this.keeper.setLeading(false);
      return;
    }
    if (this.keeper.leading) return;
    this.#startsAt = lastIndex;
    this.applied();
  }

  applied(): void {
    if (this.#startsAt !== undefined && this.o.appliedIndex() >= this.#startsAt) {
      this.#startsAt = undefined;
      this.keeper.setLeading(true);
    }
    this.keeper.applied();
  }

  stop(): void {
    this.#startsAt = undefined;
    this.keeper.stop();
  }

  #route(): LeaderRoute {
    const lead = this.o.leaderId();
    if (lead === 0) return { kind: "unknown" };
    if (lead === this.o.selfId) return { kind: "self" };
    const address = this.o.addressOf(lead) ?? "";
    return address === "" ? { kind: "unknown" } : { kind: "peer", address };
  }
}
