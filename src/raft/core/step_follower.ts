/** Message handling while follower, and the follower side of replication. */
import {
  type AppMsg,
  type HeartbeatMsg,
  type Message,
  MessageType,
  type SnapMsg,
} from "./messages.ts";
import type { Raft } from "./raft.ts";
import type { StepError } from "./state_type.ts";
import { hup } from "./election.ts";

export function stepFollower(r: Raft, m: Message): StepError | undefined {
  switch (m.type) {
    case MessageType.Prop:
      if (r.lead === 0) return "no-leader";
      if (r.cfg.disableProposalForwarding) return "forwarding-disabled";
      r.send({ ...m, from: r.id, to: r.lead });
      return undefined;
    case MessageType.App:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppend(r, m);
      return undefined;
    case MessageType.Heartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return undefined;
    case MessageType.Snap:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return undefined;
    case MessageType.TransferLeader:
      if (r.lead === 0) return "no-leader";
      r.send({ ...m, from: r.id, to: r.lead, term: r.term });
      return undefined;
    case MessageType.TimeoutNow:
      // The leader asks us to take over: campaign at once, without pre-vote.
      hup(r, true);
      return undefined;
    case MessageType.ReadIndex:
      if (r.lead === 0) return "no-leader";
      r.send({ ...m, from: r.id, to: r.lead });
      return undefined;
    case MessageType.ReadIndexResp:
      r.readStates.push({ index: m.index, context: m.context });
      return undefined;
    default:
      return undefined;
  }
}

export function handleAppend(r: Raft, m: AppMsg): void {
  const base = { type: MessageType.AppResp, from: r.id, to: m.from, term: r.term } as const;
  if (m.index < r.log.committed) {
    // Everything up to our commit index already matches the leader (§5.3).
    r.send({ ...base, index: r.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
    return;
  }
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ ...base, index: lastNew, reject: false, rejectHint: 0, logTerm: 0 });
    return;
  }
  // Consistency check failed (§5.3). Hint the largest index that might match:
  // at or before min(index, lastIndex), with a term no greater than logTerm.
  const hint = Math.min(m.index, r.log.lastIndex());
  const [hintIndex, hintTerm] = r.log.findConflictByTerm(hint, m.logTerm);
  r.send({ ...base, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm });
}

export function handleHeartbeat(r: Raft, m: HeartbeatMsg): void {
  r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send({
    type: MessageType.HeartbeatResp,
    from: r.id,
    to: m.from,
    term: r.term,
    context: m.context,
    sentTick: m.sentTick,
  });
  // The leader never sends a commit past what it counts this follower to hold (sendHeartbeat):
  // a log ending below it lost entries it acknowledged (a wiped node, a region replica created
  // again from a peer's message with an empty log). An idle leader sends no append (the
  // follower's match is its last index), so nothing would ever tell it: it kept counting the
  // follower at its old match, and a merge committed on the strength of a fence the follower no
  // longer had (region sim seed 62 with merge). Rejecting as at the commit index makes the
  // leader's progress start over from the follower's real last index (Progress.maybeDecrTo).
  const last = r.log.lastIndex();
  if (m.commit > last) {
    r.send({
      type: MessageType.AppResp,
      from: r.id,
      to: m.from,
      term: r.term,
      index: m.commit,
      reject: true,
      rejectHint: last,
      logTerm: 0,
    });
  }
}

export function handleSnapshot(r: Raft, m: SnapMsg): void {
  const base = { type: MessageType.AppResp, from: r.id, to: m.from, term: r.term } as const;
  const index = r.restore(m.snapshot) ? r.log.lastIndex() : r.log.committed;
  r.send({ ...base, index, reject: false, rejectHint: 0, logTerm: 0 });
}
