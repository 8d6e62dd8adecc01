/**
 * How a replicated command travels from a port to the state machine and back:
 * on the leader it is proposed and answered once applied; on a follower it is
 * forwarded to the leader. Either way the answer is the body of the command's
 * applied outcome, or a ServiceError saying whether it may have happened.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, encodeCommand } from "../../kv/command_codec.ts";
import { ROUTED_AT_HEAD_BYTES } from "../../kv/region_command.ts";
import type { StepError } from "../../raft/api.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { assert } from "../../util/assert.ts";
import { payloadBytes, transferAllowanceMs } from "../../wire/transfer_time.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import type { FaultMonitor } from "./faults.ts";
import { ConditionWait } from "./condition_wait.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { LeaderForwarder } from "./leader_forwarder.ts";
import type { Proposals } from "./proposals.ts";
import type { ProposalTimestamps } from "./proposal_timestamps.ts";

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
  /**
   * The node's clock (its wall clock is stamped on what a leader proposes) and request timeout
   * (also how long a write waits for a leader when none is known).
   */
  readonly timing: Pick<ResolvedNodeOptions, "clock" | "requestTimeoutMs">;
  /**
   * The entry to propose for an encoded command: itself, or wrapped as a `Routed` region command
   * with the region's epoch (and `timestamp`, when given) once regions split (region_host.ts
   * `entryFor`).
   */
  readonly entry?: (command: Uint8Array, timestamp?: number) => Uint8Array;
  /**
   * Where the leader takes each proposal's timestamp on a node holding many regions
   * (proposal_timestamps.ts, decision 0018); absent on the one-region node (revision = index).
   */
  readonly timestamps?: () => ProposalTimestamps | undefined;
}

const NO_COMMAND = new Uint8Array(0);

export class CommandPath {
  /** Writes waiting for a leader to be known, up to the request timeout (condition_wait.ts). */
  readonly #leaderKnown: ConditionWait;

  constructor(readonly d: CommandPathDeps) {
    const { clock, requestTimeoutMs } = d.timing;
    this.#leaderKnown = new ConditionWait(clock, () => !this.#leaderless(), requestTimeoutMs);
  }

  execute(command: CommandInit): Promise<CommandOutcome> {
    const refused = this.d.faults.refusal("write");
    if (refused !== undefined) return Promise.reject(refused);
    if (this.#leaderless()) return this.#afterLeader(command);
    return this.#run(command);
  }

  /** Neither this node nor a known peer (with an address) leads the group. */
  #leaderless(): boolean {
    return !this.d.node().rawNode.isLeader && this.d.leader().address === "";
  }

  /** Runs `command` once a leader is known (nothing was proposed before: condition_wait.ts). */
  async #afterLeader(command: CommandInit): Promise<CommandOutcome> {
    if (!await this.#leaderKnown.wait()) {
      const ms = this.#leaderKnown.waitMs;
      throw new ServiceError(ErrorCode.NOT_LEADER, `no leader is known (waited ${ms} ms)`);
    }
    return this.#run(command);
  }

  #run(command: CommandInit): Promise<CommandOutcome> {
    // A large value needs time to replicate: wait (and forward) as long as its client does.
    const allowFor = (bytes: number) => this.d.timing.requestTimeoutMs + transferAllowanceMs(bytes);
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
    const stamps = this.d.timestamps?.();
    if (stamps === undefined) return this.#propose(node, this.#encode(command), undefined);
    // Room for the Routed header the entry will wrap it in: no copy of the command (a value).
    return this.#stamped(node, stamps, () => this.#encode(command, ROUTED_AT_HEAD_BYTES));
  }

  /**
   * Proposes a timestamp barrier on this leader (reads_at_timestamp.ts): an entry with a
   * timestamp and no command. Only where proposals take timestamps.
   */
  barrier(): Promise<CommandOutcome> {
    const node = this.d.node();
    const stamps = this.d.timestamps?.();
    if (stamps === undefined || !node.rawNode.isLeader) {
      const leader = this.d.leader();
      const why = stamps === undefined ? "revisions are log indexes here" : "not the leader";
      const code = stamps === undefined ? ErrorCode.FAILED_PRECONDITION : ErrorCode.NOT_LEADER;
      return Promise.reject(
        new ServiceError(code, `no barrier: ${why}`, leader.id, leader.address),
      );
    }
    return this.#stamped(node, stamps, () => NO_COMMAND);
  }

  /**
   * Takes a timestamp, then proposes. The timestamp is asked for while this node leads in this
   * term, and used only if it still does: a leader's timestamps are all asked for after it won
   * its election, so they exceed every timestamp of the entries it inherited
   * (docs/decisions/0018-revisions-from-tso.md).
   */
  #stamped(
    node: RaftGroup,
    stamps: ProposalTimestamps,
    encoded: () => Uint8Array,
  ): Promise<CommandOutcome> {
    const term = node.rawNode.term;
    return new Promise((resolve, reject) => {
      stamps.take((ts) => {
        const now = this.d.node();
        if (!now.rawNode.isLeader || now.rawNode.term !== term) {
          reject(
            new ServiceError(
              ErrorCode.UNAVAILABLE,
              "leadership changed while the write waited for its timestamp; not proposed, retry",
            ),
          );
          return;
        }
        this.#propose(now, encoded(), ts).then(resolve, reject);
      }, reject);
    });
  }

  /** The command as an entry carries it, with the leader's time. */
  #encode(command: CommandInit, headroom = 0): Uint8Array {
    // The leader's time goes into the entry: apply decides key expiry from it
    // on every replica alike (docs/decisions/0009-key-expiry.md).
    // Whole ms, whatever the clock gives: a fraction cannot go on the wire.
    const proposedAtMs = BigInt(Math.max(0, Math.floor(this.d.timing.clock.wallMs())));
    return encodeCommand({ ...command, proposedAtMs }, headroom);
  }

  /** Proposes an encoded command on this leader now (synchronously: timestamps keep order). */
  #propose(node: RaftGroup, encoded: Uint8Array, ts: number | undefined): Promise<CommandOutcome> {
    const allowFor = (bytes: number) => this.d.timing.requestTimeoutMs + transferAllowanceMs(bytes);
    if (this.d.proposals.full) {
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "too many writes in flight"));
    }
    const data = this.d.entry?.(encoded, ts) ?? encoded;
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
