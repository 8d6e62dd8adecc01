/**
 * Joint quorums (Raft thesis §4.3): during a membership change a decision
 * needs a majority of both the incoming and the outgoing voter sets.
 */
import {
  type AckedIndexer,
  majorityCommitted,
  majorityVoteResult,
  VoteResult,
} from "./majority.ts";

/** [incoming, outgoing]; outgoing is empty outside a joint configuration. */
export type JointConfig = readonly [ReadonlySet<number>, ReadonlySet<number>];

export function jointCommitted(c: JointConfig, acked: AckedIndexer): number {
  return Math.min(majorityCommitted(c[0], acked), majorityCommitted(c[1], acked));
}

export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<number, boolean>): VoteResult {
  const r1 = majorityVoteResult(c[0], votes);
  const r2 = majorityVoteResult(c[1], votes);
  if (r1 === r2) return r1;
  if (r1 === VoteResult.Lost || r2 === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}

/** Every voter id in either half. */
export function jointIds(c: JointConfig): Set<number> {
  const s = new Set<number>(c[0]);
  for (const id of c[1]) s.add(id);
  return s;
}

export { VoteResult };
