/**
 * Majority quorums: the commit index a set of voters has reached, and the
 * outcome of a vote. An empty voter set behaves as "no constraint" so that a
 * joint configuration with an empty outgoing half reduces to its incoming half.
 */

/** Outcome of counting votes. */
export const VoteResult = {
  Pending: 0,
  Lost: 1,
  Won: 2,
} as const;
export type VoteResult = typeof VoteResult[keyof typeof VoteResult];

/** Returns the highest index acknowledged by `id`, if any. */
export type AckedIndexer = (id: number) => number | undefined;

/** Largest index that a majority of `voters` has acknowledged. */
export function majorityCommitted(voters: ReadonlySet<number>, acked: AckedIndexer): number {
  if (voters.size === 0) return Number.MAX_SAFE_INTEGER; // no constraint
  const idx: number[] = [];
  for (const id of voters) idx.push(acked(id) ?? 0);
  idx.sort((a, b) => b - a);
  const q = Math.floor(voters.size / 2); // position of the median from the top
  return idx[q] ?? 0;
}

/** Vote outcome: `votes` maps voter id to granted (true) or rejected (false). */
export function majorityVoteResult(
  voters: ReadonlySet<number>,
  votes: ReadonlyMap<number, boolean>,
): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
