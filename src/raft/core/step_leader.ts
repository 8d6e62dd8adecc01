/** Message handling while leader. */
import { ReadOnlyOption } from "./config.ts";
import { changeConfig } from "./confchange/changer.ts";
import { decodeConfChange } from "./confchange/conf_change.ts";
import {
  type AppRespMsg,
  EntryType,
  type HeartbeatRespMsg,
  type Message,
  MessageType,
  type PropMsg,
  type ReadIndexMsg,
  type TransferLeaderMsg,
} from "./messages.ts";
import { jointVoteResult } from "./quorum/joint.ts";
import { VoteResult } from "./quorum/majority.ts";
import type { Raft } from "./raft.ts";
import type { StepError } from "./state_type.ts";
import {
  bcastAppend,
  bcastHeartbeat,
  bcastHeartbeatWithContext,
  maybeSendAppend,
  sendAppend,
  sendTimeoutNow,
} from "./replication.ts";
import { heardRecently } from "./status.ts";
import { ProgressState } from "./tracker/progress.ts";
import type { TrackerConfig } from "./tracker/tracker.ts";

export function stepLeader(r: Raft, m: Message): StepError | undefined {
  switch (m.type) {
    case MessageType.Beat:
      bcastHeartbeat(r);
      return undefined;
    case MessageType.CheckQuorum:
      if (!r.trk.quorumActive(r.id)) {
        r.becomeFollower(r.term, 0); // lost contact with a quorum (§6.2 / thesis §6.2)
        r.counters.checkQuorumStepDowns++;
      }
      for (const [id, pr] of r.trk.progress) pr.recentActive = id === r.id;
      return undefined;
    case MessageType.Prop:
      return propose(r, m);
    case MessageType.ReadIndex:
      return readIndex(r, m);
    default:
      break;
  }
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return undefined; // not a member (any more)
  switch (m.type) {
    case MessageType.AppResp:
      pr.recentActive = true;
      pr.lastHeardTick = r.tickCount;
      handleAppendResponse(r, m);
      return undefined;
    case MessageType.HeartbeatResp:
      handleHeartbeatResponse(r, m);
      return undefined;
    case MessageType.SnapStatus:
      if (pr.state !== ProgressState.Snapshot) return undefined;
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      // Wait for the next heartbeat response before probing again.
      pr.probeSent = true;
      return undefined;
    case MessageType.Unreachable:
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      return undefined;
    case MessageType.TransferLeader:
      return transferLeader(r, m);
    default:
      return undefined;
  }
}

function propose(r: Raft, m: PropMsg): StepError | undefined {
  if (!r.trk.progress.has(r.id)) return "not-member";
  if (r.leadTransferee !== 0) return "transferring";
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i];
    if (e === undefined || e.type !== EntryType.ConfChange) continue;
    const refusal = confChangeRefusal(r, e.data);
    if (refusal !== undefined) {
      r.lastRefusal = refusal;
      return "conf-change-refused";
    }
    r.pendingConfIndex = r.log.lastIndex() + i + 1;
  }
  if (!r.appendEntry(m.entries)) return "uncommitted-limit";
  bcastAppend(r);
  return undefined;
}

/** Why a conf change proposal must be refused, or undefined to accept it. */
function confChangeRefusal(r: Raft, data: Uint8Array): string | undefined {
  const cc = decodeConfChange(data);
  if (cc === undefined) return "malformed conf change";
  if (r.pendingConfIndex > r.log.applied) return "a conf change is still pending";
  const res = changeConfig(r.trk.config, cc);
  if (!res.ok) return res.reason;
  if (!quorumReachable(r, res.config)) return "the new config would have no reachable quorum";
  return undefined;
}

/**
 * The guard against a change that strands the cluster: a quorum of the new
 * configuration must consist of nodes we heard from within the last election
 * timeout (`recentActive` alone is reset only once per election timeout, so it
 * can be up to two stale), and a node that
 * becomes a voter must already have caught up to the commit index.
 */
function quorumReachable(r: Raft, c: TrackerConfig): boolean {
  const ready = new Map<number, boolean>();
  for (const half of c.voters) {
    for (const id of half) {
      if (id === r.id) {
        ready.set(id, true);
        continue;
      }
      const pr = r.trk.progress.get(id);
      const caughtUp = pr !== undefined && (r.trk.isVoter(id) || pr.match >= r.log.committed);
      const fresh = pr !== undefined && heardRecently(r, pr);
      ready.set(id, pr !== undefined && pr.recentActive && fresh && caughtUp);
    }
  }
  return jointVoteResult(c.voters, ready) === VoteResult.Won;
}

function leaseValid(r: Raft): boolean {
  if (r.cfg.readOnlyOption !== ReadOnlyOption.LeaseBased || !r.cfg.checkQuorum) return false;
  if (r.transferIssued || r.leadTransferee !== 0) return false;
  const lease = r.cfg.electionTicks - r.cfg.leaseDriftTicks;
  return r.trk.quorumAckedTick(r.id, r.tickCount) + lease > r.tickCount;
}

function readIndex(r: Raft, m: ReadIndexMsg): StepError | undefined {
  // A lone voter too: after a restart its commit index is the last one it persisted, which may
  // lag writes it acknowledged (commit-only hard states are not fsynced).
  if (!committedInCurrentTerm(r)) {
    // The commit index is only known to be current once an entry of this term
    // commits (thesis §6.4): hold the request until then.
    if (r.pendingReads.length >= r.cfg.maxPendingReads) return "read-queue-full";
    r.pendingReads.push(m);
    return undefined;
  }
  return handleReadIndex(r, m);
}

function handleReadIndex(r: Raft, m: ReadIndexMsg): StepError | undefined {
  if (r.trk.isSingleton() || leaseValid(r)) {
    respondRead(r, m, r.log.committed);
    return undefined;
  }
  if (!r.readOnly.addRequest(r.log.committed, m)) return "read-queue-full";
  r.readOnly.recvAck(r.id, m.context);
  bcastHeartbeatWithContext(r, m.context);
  return undefined;
}

export function releasePendingReads(r: Raft): void {
  if (r.pendingReads.length === 0 || !committedInCurrentTerm(r)) return;
  const reads = r.pendingReads;
  r.pendingReads = [];
  for (const m of reads) handleReadIndex(r, m);
}

function respondRead(r: Raft, m: ReadIndexMsg, index: number): void {
  if (m.from === 0 || m.from === r.id) {
    r.readStates.push({ index, context: m.context });
    return;
  }
  r.send({
    type: MessageType.ReadIndexResp,
    from: r.id,
    to: m.from,
    term: r.term,
    index,
    context: m.context,
  });
}

function handleAppendResponse(r: Raft, m: AppRespMsg): void {
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return;
  if (m.reject) {
    // Fast backtracking: skip every entry whose term cannot match the follower.
    let probe = m.rejectHint;
    if (m.logTerm > 0) probe = r.log.findConflictByTerm(m.rejectHint, m.logTerm)[0];
    if (pr.maybeDecrTo(m.index, probe)) {
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === ProgressState.Probe)) {
    return;
  }
  if (pr.state === ProgressState.Probe) {
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Replicate) {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  while (maybeSendAppend(r, m.from, false)) {
    // keep the pipeline full up to the inflight window
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatRespMsg): void {
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.lastHeardTick = r.tickCount;
  pr.probeSent = false;
  if (m.sentTick > pr.ackedTick) pr.ackedTick = m.sentTick;
  if (pr.state === ProgressState.Replicate && pr.inflights.full()) {
    // The follower is alive: let one more append through to unblock the window.
    pr.inflights.freeFirstOne();
  }
  // A probing follower gets an append too (as etcd): one that lost its log (a wiped node)
  // rejects it, which is how its leader learns to send a snapshot.
  if (pr.match < r.log.lastIndex() || pr.state === ProgressState.Probe) sendAppend(r, m.from);
  if (m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined) return;
  const votes = new Map<number, boolean>();
  for (const id of acks) votes.set(id, true);
  if (jointVoteResult(r.trk.config.voters, votes) !== VoteResult.Won) return;
  for (const rs of r.readOnly.advance(m.context)) respondRead(r, rs.req, rs.index);
}

function transferLeader(r: Raft, m: TransferLeaderMsg): StepError | undefined {
  const to = m.transferee;
  const pr = r.trk.progress.get(to);
  if (pr === undefined || pr.isLearner || !r.trk.isVoter(to)) return undefined;
  if (to === r.id || to === r.leadTransferee) return undefined;
  r.leadTransferee = to;
  // The transfer must finish within one election timeout, or it is abandoned.
  r.electionElapsed = 0;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, to);
  else sendAppend(r, to);
  return undefined;
}

/** The leader has committed an entry of its own term (§5.4.2): its commit index is current. */
function committedInCurrentTerm(r: Raft): boolean {
  return r.log.term(r.log.committed) === r.term;
}
