/**
 * A region that was quiescent (multi-region driver, decision 0014 §4) was not
 * ticked, so what the core measures in ticks stopped while wall time went on.
 * When it wakes, that bookkeeping is made safe again:
 *
 * - A leader counts every member active (it could not hear from them while
 *   quiet, so its next CheckQuorum must not step it down for that) and
 *   moves its tick clock one election timeout on: acknowledgements from
 *   before the quiet period no longer back a lease read or a conf change
 *   (`heardRecently`), fresh heartbeats must.
 * - A follower or candidate restarts its election timer, so it does not
 *   campaign at once from a count frozen near its timeout. When its leader's
 *   node is known gone (`leaderLost`), the timer starts past the election
 *   timeout instead: it grants (pre-)votes and campaigns within one more
 *   randomized timeout, as if it had kept ticking.
 */
import type { Raft } from "./raft.ts";
import { StateType } from "./state_type.ts";

export function resumeAfterQuiet(r: Raft, leaderLost: boolean): void {
  if (r.state === StateType.Leader) {
    r.tickCount += r.cfg.electionTicks;
    r.electionElapsed = 0;
    for (const pr of r.trk.progress.values()) pr.recentActive = true;
    return;
  }
  r.electionElapsed = leaderLost ? r.cfg.electionTicks : 0;
}
