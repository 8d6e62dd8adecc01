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
  /** Normal-entry proposals the leader appended to its log. */
  proposalsAccepted = 0;
  /** Proposals refused (no leader, transfer in progress, uncommitted limit, …). */
  proposalsRefused = 0;
}
