/**
 * Leader-side sending: appends (batched up to `maxMsgBytes`, gated by each
 * follower's progress state and inflight window), snapshots for followers
 * whose next entry is compacted, heartbeats and TimeoutNow.
 */
import { EMPTY_BYTES } from "./bytes.ts";
import { entryBytes, MessageType } from "./messages.ts";
import type { Raft } from "./raft.ts";
import { ProgressState } from "./tracker/progress.ts";

/**
 * Sends an append to `to` if its progress allows. With `sendIfEmpty` an
 * append without entries is sent too (it carries the commit index or probes).
 * Returns true if a message was sent.
 */
export function maybeSendAppend(r: Raft, to: number, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  const ents = prevTerm === undefined ? undefined : r.log.entriesFrom(pr.next, r.cfg.maxMsgBytes);
  if (prevTerm === undefined || ents === undefined) return sendSnapshot(r, to);
  if (ents.length === 0 && !sendIfEmpty) return false;
  let bytes = 0;
  for (const e of ents) bytes += entryBytes(e);
  r.send({
    type: MessageType.App,
    from: r.id,
    to,
    term: r.term,
    index: prevIndex,
    logTerm: prevTerm,
    entries: ents,
    commit: r.log.committed,
  });
  pr.sentEntries(ents.length, prevIndex + ents.length, bytes);
  return true;
}

/** The follower needs entries we compacted: send the latest snapshot. */
function sendSnapshot(r: Raft, to: number): boolean {
  const pr = r.trk.progress.get(to);
  if (pr === undefined) return false;
  const snap = r.log.snapshot();
  if (snap.metadata.index === 0) return false; // nothing to send yet
  pr.becomeSnapshot(snap.metadata.index);
  r.send({ type: MessageType.Snap, from: r.id, to, term: r.term, snapshot: snap });
  return true;
}

export function sendAppend(r: Raft, to: number): void {
  maybeSendAppend(r, to, true);
}

export function bcastAppend(r: Raft): void {
  for (const id of r.trk.ids()) if (id !== r.id) sendAppend(r, id);
}

export function sendHeartbeat(r: Raft, to: number, context: Uint8Array): void {
  const pr = r.trk.progress.get(to);
  if (pr === undefined) return;
  // Never tell a follower to commit past what it is known to hold.
  const commit = Math.min(pr.match, r.log.committed);
  r.send({
    type: MessageType.Heartbeat,
    from: r.id,
    to,
    term: r.term,
    commit,
    context,
    sentTick: r.tickCount,
  });
}

export function bcastHeartbeat(r: Raft): void {
  const ctx = r.readOnly.lastPendingContext() ?? EMPTY_BYTES;
  bcastHeartbeatWithContext(r, ctx);
}

export function bcastHeartbeatWithContext(r: Raft, ctx: Uint8Array): void {
  for (const id of r.trk.ids()) if (id !== r.id) sendHeartbeat(r, id, ctx);
}

export function sendTimeoutNow(r: Raft, to: number): void {
  r.transferIssued = true;
  r.counters.timeoutNowSent++;
  r.send({ type: MessageType.TimeoutNow, from: r.id, to, term: r.term });
}

export function isReplicating(r: Raft, id: number): boolean {
  return r.trk.progress.get(id)?.state === ProgressState.Replicate;
}
