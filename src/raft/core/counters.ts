/**
 * Event counts of one Raft node, for metrics. The core only increments them;
 * the server reads them at scrape time. They start at zero with the process.
 */
export class RaftCounters {
  /** Real elections: this node became a candidate (term + 1). */
  electionsStarted = 0;
  /** Pre-vote rounds: this node became a pre-candidate (term unchanged). */
  preVotesStarted = 0;
  /** Elections this node won (it became leader). */
  electionsWon = 0;
  /** Election timeouts that fired (each starts a pre-vote, or an election without one). */
  electionTimeouts = 0;
  /** Real elections started by a leader's TimeoutNow (a leadership transfer). */
  transferElections = 0;
  /** Times this node, as leader, lost contact with a quorum and stepped down (CheckQuorum). */
  checkQuorumStepDowns = 0;
  /** TimeoutNow messages this node sent as leader (it handed leadership on). */
  timeoutNowSent = 0;
  /** The vote count of the last election this node won: granted of how many voters. */
  lastWinVotes = { granted: 0, voters: 0 };
  /** Normal-entry proposals the leader appended to its log. */
  proposalsAccepted = 0;
  /** Proposals refused (no leader, transfer in progress, uncommitted limit, …). */
  proposalsRefused = 0;
}
