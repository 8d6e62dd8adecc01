/**
 * Elections (§5.2, §5.4.1, thesis §9.6): starting a (pre-)campaign and
 * answering (pre-)vote requests.
 */
import { EntryType, MessageType, type VoteMsg } from "./messages.ts";
import { VoteResult } from "./quorum/majority.ts";
import type { Raft } from "./raft.ts";
import { StateType } from "./state_type.ts";

/** Starts an election unless something forbids it. */
export function hup(r: Raft, transfer: boolean): void {
  if (r.state === StateType.Leader || !r.promotable()) return;
  if (hasUnappliedConfChanges(r)) return; // the config might be about to change
  if (r.cfg.preVote && !transfer) campaign(r, true, false);
  else campaign(r, false, transfer);
}

function hasUnappliedConfChanges(r: Raft): boolean {
  if (r.log.applied >= r.log.committed) return false;
  const ents = r.log.slice(r.log.applied + 1, r.log.committed + 1, Infinity) ?? [];
  return ents.some((e) => e.type === EntryType.ConfChange);
}

/** Becomes (pre-)candidate and asks every voter for its (pre-)vote (§5.2). */
export function campaign(r: Raft, pre: boolean, transfer: boolean): void {
  let term: number;
  if (pre) {
    r.becomePreCandidate();
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    term = r.term;
    if (transfer) r.counters.transferElections++;
  }
  const type = pre ? MessageType.PreVote : MessageType.Vote;
  if (r.poll(r.id, true) === VoteResult.Won) {
    // Single voter: the election is won by our own vote.
    if (pre) campaign(r, false, transfer);
    else winElection(r);
    return;
  }
  const index = r.log.lastIndex();
  const logTerm = r.log.lastTerm();
  for (const id of r.trk.voterIds()) {
    if (id === r.id) continue;
    r.send({ type, from: r.id, to: id, term, index, logTerm, transfer });
  }
}

/** Becomes leader, recording the tally first (becoming leader resets the votes). */
export function winElection(r: Raft): void {
  const { granted } = r.trk.tallyVotes();
  r.counters.lastWinVotes = { granted, voters: r.trk.voterIds().length };
  r.becomeLeader();
}

/** Grants a vote to a candidate whose log is at least as current as ours (§5.4.1). */
export function handleVote(r: Raft, m: VoteMsg): void {
  const pre = m.type === MessageType.PreVote;
  const canVote = r.vote === m.from || (r.vote === 0 && r.lead === 0) ||
    (pre && m.term > r.term);
  const respType = pre ? MessageType.PreVoteResp : MessageType.VoteResp;
  if (canVote && r.log.isCurrentLog(m.index, m.logTerm)) {
    // A pre-vote response carries the future term so the candidate can count it.
    r.send({ type: respType, from: r.id, to: m.from, term: m.term, reject: false });
    if (!pre) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
  }
}
