/**
 * A leader applies what its followers committed while its own save runs (Raft
 * thesis §10.2.1; docs/raft.md "Applied ahead of the leader's fsync"). The
 * core counts the leader's own log only once saved (`selfAckAfterPersist`),
 * so a commit that moves mid-save is on a quorum of the other voters' disks:
 * it is committed, whatever happens to this node, and applying it is as safe
 * as applying any committed entry. Waiting for the local fsync would only add
 * its tail to the write's latency when the followers were the faster ones.
 *
 * The state machine may then hold an entry this disk lacks. A crash before the
 * save completes loses the entry from this log but not from the quorum that
 * committed it; on restart the core starts from the log's snapshot marker and
 * the state machine skips the entries at or below its applied index when the
 * new leader sends them again (the same entries: Log Matching), so nothing is
 * applied twice or differently.
 *
 * Conf changes are left for the round's strict order (they change the core's
 * configuration when applied), and entries are taken only when everything the
 * round's own Ready committed is already queued, so the apply order holds.
 */
import { type Entry, type Message, MessageType } from "../core/messages.ts";
import type { Ready } from "../core/ready.ts";
import { isConfChange } from "../persisted_state.ts";
import type { RegionReplica } from "./region_replica.ts";

const NONE: readonly Entry[] = [];

/**
 * The entries `r`'s commit moved past mid-save that may apply now; `rd` is the
 * Ready being saved and `queued` how many of its committed entries were
 * queued for apply before the save.
 */
export function entriesToApplyAhead(r: RegionReplica, rd: Ready, queued: number): readonly Entry[] {
  if (!r.rawNode.isLeader || rd.committedEntries.length !== queued) return NONE;
  return r.rawNode.takeCommitted((ents) => !ents.some(isConfChange));
}

/**
 * A save of more entries than this means many writes in flight: what they
 * propose meanwhile waits for the next round, batched (one append per
 * follower per round), rather than leaving in small sends as it arrives.
 */
export const MID_SAVE_SEND_SAVING_MAX = 2;

/**
 * Whether a leader may send what was proposed during its save at once: only
 * under light load (the save holds at most MID_SAVE_SEND_SAVING_MAX entries)
 * and when its followers committed everything sent so far (the save's entries
 * and what left mid-save). With one write in flight the next write then
 * reaches the followers, commits and applies while this node's own fsync of
 * the previous one still runs.
 */
export function midSaveSendable(commit: number, rd: Ready, sentMidSave = 0): boolean {
  if (rd.entries.length > MID_SAVE_SEND_SAVING_MAX) return false;
  const saving = rd.entries.length === 0 ? 0 : rd.entries[rd.entries.length - 1].index;
  return commit >= Math.max(saving, sentMidSave);
}

/** The last entry index the appends among `msgs` carry (0 without entries). */
export function lastEntrySent(msgs: readonly Message[]): number {
  let lastIndex = 0;
  for (const m of msgs) {
    if (m.type !== MessageType.App || m.entries.length === 0) continue;
    lastIndex = Math.max(lastIndex, m.entries[m.entries.length - 1].index);
  }
  return lastIndex;
}
