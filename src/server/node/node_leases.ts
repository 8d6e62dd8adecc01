/**
 * Builds a node's lease keeper and lease service from what the node has: its
 * clock and Raft timing, its state machine's lease table, `execute`, and the
 * leader forwarder. The node calls `leadershipChanged` from its soft-state
 * hook, `applied` after each apply pass (and after a snapshot swap), and
 * `stop` when it closes.
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
}

export class NodeLeases {
  readonly keeper: LeaseKeeper;
  readonly service: LeaseService;

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

  /** From the node's soft-state hook: `leaderId` is the leader Raft now knows. */
  leadershipChanged(leaderId: number): void {
    this.keeper.setLeading(leaderId === this.o.selfId);
  }

  applied(): void {
    this.keeper.applied();
  }

  stop(): void {
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
