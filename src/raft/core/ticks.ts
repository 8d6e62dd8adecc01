/**
 * What the passing of one tick does to a node (`Raft.tick`): a follower or
 * candidate counts toward its randomized election timeout; a leader sends
 * heartbeats, and once per election timeout checks its quorum, retries lost
 * snapshots and abandons an unfinished leadership transfer.
 */
import { MessageType } from "./messages.ts";
import type { Raft } from "./raft.ts";
import { StateType } from "./state_type.ts";
import { ProgressState } from "./tracker/progress.ts";

export function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.promotable() && r.electionElapsed >= r.randomizedElectionTimeout) {
    r.electionElapsed = 0;
    r.counters.electionTimeouts++;
    r.step({ type: MessageType.Hup, from: r.id, to: r.id, term: 0 });
  }
}

export function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.cfg.electionTicks) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum) {
      r.step({ type: MessageType.CheckQuorum, from: r.id, to: r.id, term: 0 });
    }
    retryLostSnapshots(r);
    // A transfer that did not finish within an election timeout is abandoned.
    if (r.state === StateType.Leader && r.leadTransferee !== 0) r.leadTransferee = 0;
  }
  if (r.state !== StateType.Leader) return;
  if (r.heartbeatElapsed >= r.cfg.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    r.step({ type: MessageType.Beat, from: r.id, to: r.id, term: 0 });
  }
}

/**
 * A snapshot the transport lost (and did not report) would leave the
 * follower stuck: after two election timeouts without progress, probe again.
 */
function retryLostSnapshots(r: Raft): void {
  if (r.state !== StateType.Leader) return;
  for (const pr of r.trk.progress.values()) {
    if (pr.state !== ProgressState.Snapshot) continue;
    pr.snapshotRounds++;
    if (pr.snapshotRounds >= 2) pr.becomeProbe();
  }
}
