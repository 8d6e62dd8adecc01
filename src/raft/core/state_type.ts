/** A node's role (as the core's state machine numbers it) and why a local request is refused. */
export const StateType = {
  Follower: 0,
  Candidate: 1,
  Leader: 2,
  PreCandidate: 3,
} as const;
export type StateType = typeof StateType[keyof typeof StateType];

/** Names by `StateType` value, for traces. */
export const STATE_NAMES: readonly string[] = [
  "StateFollower",
  "StateCandidate",
  "StateLeader",
  "StatePreCandidate",
];

/** Why a proposal, read or transfer was not accepted. */
export type StepError =
  | "no-leader"
  | "not-member"
  | "transferring"
  | "uncommitted-limit"
  | "conf-change-refused"
  | "forwarding-disabled"
  | "read-queue-full";
