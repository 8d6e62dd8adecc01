/**
 * How far a leader's own log counts toward a commit. By default as far as it
 * has appended. With `selfAckAfterPersist` only as far as the driver has
 * persisted it: the leader acknowledges its own appends in `RawNode.advance`,
 * as a follower acknowledges them after its fsync. Then a driver may step peer
 * acknowledgements while the leader's own fsync runs (Raft thesis §10.2.1): an
 * entry commits on the followers' disks alone, or with the leader's once it is
 * durable there, never on the leader's unsynced log (docs/raft.md, the driver).
 */
import type { Raft } from "./raft.ts";
import { bcastAppend } from "./replication.ts";
import { StateType } from "./state_type.ts";

/**
 * The leader waits for persistence before counting its own appends, unless no
 * other member is tracked: alone, nobody can learn of a commit before the
 * driver has persisted the Ready that carries it.
 */
export function selfAckWaitsForPersist(r: Raft): boolean {
  return r.cfg.selfAckAfterPersist && r.trk.progress.size > 1;
}

/** How far this node's own log counts toward a commit now. */
export function ownMatchBaseline(r: Raft): number {
  return selfAckWaitsForPersist(r) ? r.log.durableLastIndex() : r.log.lastIndex();
}

/**
 * The driver persisted the log up to `durableLastIndex()`: a leader counts it
 * toward the commit now, and tells the followers when the commit moved.
 */
export function ownLogPersisted(r: Raft): void {
  if (r.state !== StateType.Leader) return;
  const self = r.trk.progress.get(r.id);
  if (self === undefined || !self.maybeUpdate(ownMatchBaseline(r))) return;
  if (r.maybeCommit()) bcastAppend(r);
}
