/**
 * Membership changes and the other admin operations, run on the leader
 * (docs/membership.md):
 *
 *   add     the node joins as a learner (its address replicated with the
 *           change), catches up, and only then is promoted to voter through
 *           joint consensus, so a slow or empty node never counts toward a
 *           quorum it cannot serve;
 *   remove  through joint consensus; removing the leader first hands
 *           leadership to the most caught-up voter, which then removes it;
 *   refuse  Raft refuses a change whose new configuration would have no
 *           reachable, caught-up quorum (src/raft/core/step_leader.ts); that
 *           becomes FAILED_PRECONDITION with Raft's reason.
 *
 * Every operation is idempotent (adding a member that is already there with
 * the same address, or resuming a half-done add), so a client may retry one
 * whose outcome it did not learn.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock } from "../../platform/types.ts";
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
} from "../../raft/core/confchange/conf_change.ts";
import type { ConfState } from "../../raft/core/messages.ts";
import type { EntryPosition, ProposeResult } from "../../raft/api.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { assert } from "../../util/assert.ts";
import { utf8 } from "../../util/bytes.ts";
import { splitHostPort } from "../../util/host_port.ts";
import { ServiceError } from "../kv_service.ts";
import { heirOf, mostCaughtUpAnswering } from "./voter_choice.ts";

export interface MembershipOptions {
  readonly selfId: number;
  readonly node: RaftGroup;
  readonly clock: Clock;
  readonly appliedIndex: () => number;
  /** The member's address from the address book, if known. */
  readonly addressOf: (id: number) => string | undefined;
  /** How long one step (a change to apply, a learner to catch up) may take. */
  readonly stepTimeoutMs: number;
  /** An election timeout: how long a leadership transfer may take. */
  readonly electionTimeoutMs: number;
  /**
   * In a sharded cluster, the voters region 1 keeps (`--replicas`): `add` promotes only while it
   * has fewer, and `remove` of a voter promotes a caught-up learner in the same joint change;
   * placement plans the rest (first_region_voters.ts). Undefined: every member votes.
   */
  readonly voters?: number;
  /** Runs once a removal committed, before `remove` returns (the placement group follows). */
  readonly afterRemove?: (id: number) => Promise<void>;
}

export interface AddOptions {
  /** Stop after the node has joined as a learner (no promotion). */
  readonly learnerOnly?: boolean;
}

const POLL_MS = 20;

function refused(message: string): ServiceError {
  return new ServiceError(ErrorCode.FAILED_PRECONDITION, message);
}

function invalid(message: string): ServiceError {
  return new ServiceError(ErrorCode.INVALID_ARGUMENT, message);
}

/** Where an accepted proposal was appended: this node leads, so it was not forwarded. */
function appended(r: ProposeResult & { ok: true }): EntryPosition {
  assert(!r.forwarded, "a conf change proposed on the leader was forwarded");
  return r;
}

function isJoint(cs: ConfState): boolean {
  return cs.votersOutgoing.length > 0;
}

export class Membership {
  constructor(readonly o: MembershipOptions) {}

  get #rawNode() {
    return this.o.node.rawNode;
  }

  #confState(): ConfState {
    return this.#rawNode.status().confState;
  }

  /** Throws NOT_LEADER (with the leader's address, for the client to follow) unless leading. */
  #checkLeader(): void {
    const raft = this.#rawNode;
    if (raft.isLeader) return;
    const lead = raft.lead;
    const address = lead === 0 ? "" : this.o.addressOf(lead) ?? "";
    const who = lead === 0 ? "no leader is known" : `the leader is node ${lead}`;
    throw new ServiceError(
      ErrorCode.NOT_LEADER,
      `admin requests go to the leader; ${who}`,
      lead,
      address,
    );
  }

  async add(id: number, address: string, options: AddOptions = {}): Promise<void> {
    if (!Number.isSafeInteger(id) || id <= 0) throw invalid(`bad node id ${id}`);
    try {
      splitHostPort(address);
    } catch (err) {
      throw invalid(`bad address '${address}': ${err instanceof Error ? err.message : err}`);
    }
    this.#checkLeader();
    const cs = this.#confState();
    const known = this.o.addressOf(id);
    const member = cs.voters.includes(id) || cs.learners.includes(id);
    if (member && known !== undefined && known !== address) {
      throw refused(`node ${id} is already a member at ${known}; remove it first`);
    }
    if (cs.voters.includes(id) && !isJoint(cs)) return;
    if (!cs.learners.includes(id) && !cs.voters.includes(id)) {
      await this.#change(
        {
          transition: ConfChangeTransition.Auto,
          changes: [{ type: ConfChangeType.AddLearner, nodeId: id, context: utf8(address) }],
        },
        (c) => c.learners.includes(id),
      );
    }
    const full = this.o.voters !== undefined && this.#confState().voters.length >= this.o.voters;
    if (options.learnerOnly || full) return; // a member as a learner (placement may promote it)
    await this.#promote(id);
  }

  /**
   * Promotes learner `id` once it has caught up. Raft's guard refuses a new
   * voter that is behind the commit index, so propose in the same turn as the
   * check that it is caught up, and try again while it is still catching up.
   */
  async #promote(id: number): Promise<void> {
    const deadline = this.o.clock.nowMs() + this.o.stepTimeoutMs;
    const cc: ConfChange = {
      transition: ConfChangeTransition.JointImplicit,
      changes: [{ type: ConfChangeType.AddNode, nodeId: id }],
    };
    while (true) {
      this.#checkLeader();
      const status = this.#rawNode.status();
      const cs = status.confState;
      if (cs.voters.includes(id) && !isJoint(cs)) return;
      const match = status.progress.get(id)?.match ?? 0;
      if (!isJoint(cs) && !cs.voters.includes(id) && match >= status.commit) {
        const r = this.o.node.proposeConfChange(cc);
        if (r.ok) {
          this.o.node.kick();
          await this.#awaitApplied(appended(r), (c) => c.voters.includes(id));
          return;
        }
        // Still catching up (or the learner's add is still settling): try again shortly.
        const retry = r.reason === "conf-change-refused" &&
          /pending|reachable/.test(this.#rawNode.status().lastRefusal);
        if (!retry) throw this.#refusal(r.reason);
      }
      if (this.o.clock.nowMs() > deadline) {
        throw new ServiceError(
          ErrorCode.TIMEOUT,
          `node ${id} did not catch up within ${this.o.stepTimeoutMs} ms ` +
            `(it has ${match} of ${status.commit}); ` +
            "it stays a learner — retry to resume",
        );
      }
      await this.#sleep(POLL_MS);
    }
  }

  async remove(id: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id <= 0) throw invalid(`bad node id ${id}`);
    this.#checkLeader();
    const cs = this.#confState();
    const voter = cs.voters.includes(id) || cs.votersOutgoing.includes(id);
    if (!voter && !cs.learners.includes(id)) throw refused(`node ${id} is not a member`);
    if (id === this.o.selfId) {
      await this.#handOff();
      this.#checkLeader(); // NOT_LEADER naming the new leader: the client asks it to remove us.
    }
    const heir = voter ? heirOf(this.#rawNode.status(), id, this.o.voters) : undefined;
    const promote = heir === undefined ? [] : [{ type: ConfChangeType.AddNode, nodeId: heir }];
    await this.#change(
      {
        transition: voter ? ConfChangeTransition.JointImplicit : ConfChangeTransition.Auto,
        changes: [{ type: ConfChangeType.RemoveNode, nodeId: id }, ...promote],
      },
      (c) => !c.voters.includes(id) && !c.learners.includes(id),
    );
    await this.o.afterRemove?.(id);
  }

  /** Moves leadership to the most caught-up other voter before the leader is removed. */
  async #handOff(): Promise<void> {
    const others = this.#confState().voters.filter((v) => v !== this.o.selfId);
    if (others.length === 0) throw refused("cannot remove the only voter");
    // Wait up to an election timeout for a voter to answer (one may just have restarted).
    const deadline = this.o.clock.nowMs() + this.o.electionTimeoutMs;
    while (true) {
      const heard = (id: number, h: boolean) => this.o.node.heardFrom?.(id, h) ?? h;
      const best = mostCaughtUpAnswering(this.#rawNode.status(), others, heard);
      if (best !== undefined) return await this.transferLeader(best);
      if (this.o.clock.nowMs() > deadline) {
        throw refused("no other voter is reachable to take over leadership");
      }
      await this.#sleep(POLL_MS);
      this.#checkLeader();
    }
  }

  /** Moves leadership to `id` and waits until it leads (up to two election timeouts). */
  async transferLeader(id: number): Promise<void> {
    this.#checkLeader();
    const raft = this.#rawNode;
    if (id === this.o.selfId) return;
    if (!this.#confState().voters.includes(id)) throw refused(`node ${id} is not a voter`);
    const r = raft.transferLeader(id);
    if (!r.ok) throw refused(`transfer refused: ${r.reason}`);
    this.o.node.kick();
    const timeoutMs = 2 * this.o.electionTimeoutMs;
    for (let waited = 0; waited < timeoutMs; waited += POLL_MS) {
      await this.#sleep(POLL_MS);
      if (raft.lead === id) return;
    }
    throw new ServiceError(
      ErrorCode.TIMEOUT,
      `node ${id} did not take over within ${timeoutMs} ms`,
    );
  }

  /**
   * Proposes `cc` and waits until it is applied here and `done` holds (joint
   * config left). A "no reachable quorum" refusal is retried for an election
   * timeout: a loaded follower may answer late; a dead one stays refused.
   */
  async #change(cc: ConfChange, done: (cs: ConfState) => boolean): Promise<void> {
    const deadline = this.o.clock.nowMs() + this.o.electionTimeoutMs;
    let r: ProposeResult;
    while (true) {
      this.#checkLeader();
      r = this.o.node.proposeConfChange(cc);
      if (r.ok) break;
      const transient = r.reason === "conf-change-refused" &&
        /reachable/.test(this.#rawNode.status().lastRefusal) && this.o.clock.nowMs() < deadline;
      if (!transient) throw this.#refusal(r.reason);
      await this.#sleep(POLL_MS);
    }
    this.o.node.kick();
    await this.#awaitApplied(appended(r), done);
  }

  #refusal(reason: string): ServiceError {
    if (reason !== "conf-change-refused") {
      return new ServiceError(ErrorCode.UNAVAILABLE, `membership change not accepted: ${reason}`);
    }
    const why = this.#rawNode.status().lastRefusal;
    if (/pending/.test(why)) {
      return new ServiceError(ErrorCode.UNAVAILABLE, `another membership change is in progress`);
    }
    return refused(`membership change refused: ${why}`);
  }

  /** Waits until the change appended at `at` is applied here and `done` holds. */
  async #awaitApplied(at: EntryPosition, done: (cs: ConfState) => boolean): Promise<void> {
    const deadline = this.o.clock.nowMs() + this.o.stepTimeoutMs;
    while (true) {
      const cs = this.#confState();
      if (this.o.appliedIndex() >= at.index && done(cs) && !isJoint(cs)) return;
      if (this.#rawNode.term !== at.term || !this.#rawNode.isLeader) {
        throw new ServiceError(
          ErrorCode.TIMEOUT,
          "leadership changed while the membership change was in flight; " +
            "it may or may not take effect — check `member list` and retry",
        );
      }
      if (this.o.clock.nowMs() > deadline) {
        throw new ServiceError(ErrorCode.TIMEOUT, "the membership change did not complete in time");
      }
      await this.#sleep(POLL_MS);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, ms));
  }
}
