/**
 * Which voter or learner a membership change picks (membership.ts), from the leader's Raft
 * status: pure, so the choice is tested apart from the change.
 */
import type { ConfState } from "../../raft/core/messages.ts";

/** What the choices read of the leader's Raft status. */
export interface LeaderView {
  readonly confState: ConfState;
  readonly commit: number;
  readonly progress: ReadonlyMap<number, { readonly match: number; heardRecently: boolean }>;
}

/**
 * The voter with the highest match among those heard from in the last election timeout
 * (`heard`: the progress's flag, or the driver's `heardFrom`, which also needs the node's beats).
 */
export function mostCaughtUpAnswering(
  status: LeaderView,
  voters: readonly number[],
  heard: (node: number, heardRecently: boolean) => boolean = (_, h) => h,
): number | undefined {
  let best: number | undefined, bestMatch = -1;
  for (const v of voters) {
    const pr = status.progress.get(v);
    if (pr !== undefined && heard(v, pr.heardRecently) && pr.match > bestMatch) {
      best = v;
      bestMatch = pr.match;
    }
  }
  return best;
}

/**
 * With region 1's voters capped at `cap`, the learner that takes removed voter `leaving`'s vote in
 * the same joint change: caught up (Raft refuses a voter behind the commit index), the lowest id.
 * None when region 1 keeps `cap` voters without it, or there is no cap.
 */
export function heirOf(
  status: LeaderView,
  leaving: number,
  cap: number | undefined,
): number | undefined {
  const left = status.confState.voters.filter((v) => v !== leaving).length;
  if (cap === undefined || left >= cap) return undefined;
  const caughtUp = (id: number) => (status.progress.get(id)?.match ?? 0) >= status.commit;
  return [...status.confState.learners].sort((a, b) => a - b).find(caughtUp);
}
