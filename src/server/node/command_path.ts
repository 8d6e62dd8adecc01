/**
 * How a replicated command travels from a port to the state machine and back:
 * on the leader it is proposed and answered once applied; on a follower it is
 * forwarded to the leader. Either way the answer is the body of the command's
 * applied outcome, or a ServiceError saying whether it may have happened.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, encodeCommand } from "../../kv/command_codec.ts";
import type { StepError } from "../../raft/api.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { assert } from "../../util/assert.ts";
import { payloadBytes, transferAllowanceMs } from "../../wire/transfer_time.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import type { FaultMonitor } from "./faults.ts";
import type { LeaderForwarder } from "./leader_forwarder.ts";
import type { Proposals } from "./proposals.ts";

function stepError(reason: StepError, leaderId: number, leaderAddress: string): ServiceError {
  if (reason === "no-leader") {
    return new ServiceError(ErrorCode.NOT_LEADER, "no leader is known", 0, "");
  }
  if (reason === "uncommitted-limit") {
    return new ServiceError(ErrorCode.UNAVAILABLE, "too many uncommitted writes; retry");
  }
  return new ServiceError(
    ErrorCode.UNAVAILABLE,
    `not accepted: ${reason}`,
    leaderId,
    leaderAddress,
  );
}

export interface CommandPathDeps {
  readonly node: () => RaftGroup;
  readonly proposals: Proposals;
  readonly forwarder: LeaderForwarder;
  readonly faults: FaultMonitor;
  readonly leader: () => { id: number; address: string };
  readonly requestTimeoutMs: number;
  /** The leader's wall clock (Unix ms), stamped on what it proposes. */
  readonly wallMs: () => number;
  /**
   * The entry to propose for an encoded command: itself, or wrapped as a `Routed` region command
   * with the region's epoch once regions split (region_host.ts `entryFor`).
   */
  readonly entry?: (command: Uint8Array) => Uint8Array;
}

export class CommandPath {
  constructor(readonly d: CommandPathDeps) {}

  execute(command: CommandInit): Promise<CommandOutcome> {
    const refused = this.d.faults.refusal("write");
    if (refused !== undefined) return Promise.reject(refused);
    // A large value needs time to replicate: wait (and forward) as long as its client does.
    const allowFor = (bytes: number) => this.d.requestTimeoutMs + transferAllowanceMs(bytes);
    const node = this.d.node();
    if (!node.rawNode.isLeader) {
      const leader = this.d.leader();
      if (leader.address === "") {
        return Promise.reject(new ServiceError(ErrorCode.NOT_LEADER, "no leader is known"));
      }
      const timeoutMs = allowFor(payloadBytes(command.body));
      return this.d.forwarder.forward(leader.address, command, timeoutMs);
    }
    if (this.d.proposals.full) {
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "too many writes in flight"));
    }
    // The leader's time goes into the entry: apply decides key expiry from it
    // on every replica alike (docs/decisions/0009-key-expiry.md).
    // Whole ms, whatever the clock gives: a fraction cannot go on the wire.
    const proposedAtMs = BigInt(Math.max(0, Math.floor(this.d.wallMs())));
    const encoded = encodeCommand({ ...command, proposedAtMs });
    const data = this.d.entry?.(encoded) ?? encoded;
    // The entry's size bounds the payload's: no walk over the command's fields (a RESP batch
    // has thousands), and a few bytes more allowance at most.
    const timeoutMs = allowFor(data.length);
    const r = node.propose(data);
    if (!r.ok) {
      const leader = this.d.leader();
      return Promise.reject(stepError(r.reason, leader.id, leader.address));
    }
    // Forwarding is off (node_service.ts): a node that accepted the proposal appended it.
    assert(!r.forwarded, "a proposal was forwarded by Raft");
    const done = this.d.proposals.wait(r, timeoutMs);
    node.kick();
    return done;
  }
}
