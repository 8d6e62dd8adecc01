/**
 * Switches a node to a new configuration: progress entries are created for
 * new members and dropped for removed ones, and learner flags follow the
 * configuration. A voter demoted during a joint change (`learnersNext`) keeps
 * voting until the joint configuration is left.
 */
import type { Raft } from "./raft.ts";
import { Progress } from "./tracker/progress.ts";
import { ownMatchBaseline } from "./self_ack.ts";
import type { TrackerConfig } from "./tracker/tracker.ts";

export function applyConfig(r: Raft, c: TrackerConfig): void {
  r.trk.config = c;
  const members = new Set<number>([
    ...c.voters[0],
    ...c.voters[1],
    ...c.learners,
    ...c.learnersNext,
  ]);
  for (const id of [...r.trk.progress.keys()]) {
    if (!members.has(id)) r.trk.progress.delete(id);
  }
  // A new member is probed at our last entry, so it hears from us right away.
  const next = Math.max(r.log.lastIndex(), 1);
  for (const id of [...members].sort((a, b) => a - b)) {
    const learner = (c.learners.has(id) || c.learnersNext.has(id)) && !r.trk.isVoter(id);
    const pr = r.trk.progress.get(id);
    if (pr !== undefined) {
      pr.isLearner = learner;
      continue;
    }
    const fresh = new Progress(next, r.cfg.maxInflightMsgs, learner);
    if (id === r.id) {
      fresh.match = r.log.lastIndex();
      fresh.next = fresh.match + 1;
    }
    r.trk.progress.set(id, fresh);
  }
  const self = r.trk.progress.get(r.id);
  // A leader that was alone counted its appends at once; with peers to tell, only what is durable.
  if (self !== undefined) self.match = Math.min(self.match, ownMatchBaseline(r));
  r.isLearner = self?.isLearner ?? false;
}
