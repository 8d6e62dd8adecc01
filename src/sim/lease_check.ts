/**
 * The lease checks (docs/simulation.md) on what each lease holder saw and the
 * committed history:
 *
 * 1. Kept alive means kept: a lease may only be lost (LEASE_NOT_FOUND) once
 *    its TTL, less a margin, has run since the call of its last acknowledged
 *    keep-alive (or of its grant). The margin covers a leader that answered a
 *    keep-alive and was then replaced: the new leader gives every lease a
 *    full TTL from the moment it leads, which may be up to an election
 *    timeout (the old leader's check-quorum) before the old one stopped
 *    answering. It is the longest election timeout plus one tick.
 * 2. A lease its holder still kept alive at the end lost none of its keys:
 *    the history has no delete of them.
 * 3. A lease its holder let go (stopped keeping alive, or revoked) ended: its
 *    keys are all deleted by the end of the history.
 * 4. A lease ends atomically: a revision that deletes a key of a lease
 *    deletes every key attached to that lease just before it.
 */
import type { RevHistory } from "./rev_model.ts";

export interface LeaseRecord {
  readonly holder: string;
  readonly id: number;
  readonly ttlMs: number;
  /** Call times of the grant and of every acknowledged keep-alive, in order. */
  readonly renewedAt: readonly number[];
  /** When the holder was told the lease is gone, if it was. */
  readonly lostAt?: number;
  /** When the holder stopped keeping it alive or revoked it, if it did. */
  readonly releasedAt?: number;
  /** Keys attached to it by acknowledged puts. */
  readonly keys: readonly string[];
}

function earlyLoss(l: LeaseRecord, marginMs: number): string | undefined {
  const lost = l.lostAt;
  if (lost === undefined || (l.releasedAt !== undefined && l.releasedAt <= lost)) return undefined;
  const last = Math.max(...l.renewedAt.filter((t) => t <= lost));
  const earliest = last + l.ttlMs - marginMs;
  if (lost >= earliest) return undefined;
  return `lease ${l.id} of ${l.holder} lost at ${Math.round(lost)}, though renewed at ` +
    `${Math.round(last)} (TTL ${l.ttlMs} ms, margin ${marginMs} ms: not before ${
      Math.round(earliest)
    })`;
}

function keysKept(l: LeaseRecord, h: RevHistory): string | undefined {
  if (l.lostAt !== undefined || l.releasedAt !== undefined) return undefined;
  for (const key of l.keys) {
    const s = h.stateAt(key, h.lastRevision);
    if (s === undefined || s.lease !== l.id) {
      return `key ${key} of lease ${l.id}, kept alive by ${l.holder} to the end, is gone`;
    }
  }
  return undefined;
}

function keysGone(l: LeaseRecord, h: RevHistory): string | undefined {
  if (l.releasedAt === undefined) return undefined;
  const left = l.keys.filter((k) => h.stateAt(k, h.lastRevision)?.lease === l.id);
  if (left.length === 0) return undefined;
  return `lease ${l.id} let go by ${l.holder} at ${Math.round(l.releasedAt)} still holds ${
    left.join(",")
  }`;
}

/** Revisions that deleted a leased key, each with the leases whose keys it touched. */
function revokeAtomic(h: RevHistory): string | undefined {
  for (const r of h.revisions) {
    const deleted = new Set<string>();
    const leases = new Set<number>();
    for (const c of h.changesAt(r)) {
      if (c.type !== "delete") continue;
      deleted.add(c.key);
      const lease = h.stateAt(c.key, r - 1)?.lease ?? 0;
      if (lease !== 0) leases.add(lease);
    }
    if (leases.size === 0) continue;
    for (const key of h.keys) {
      const lease = h.stateAt(key, r - 1)?.lease ?? 0;
      if (leases.has(lease) && !deleted.has(key)) {
        return `revision ${r} deleted keys of lease ${lease} but not ${key}`;
      }
    }
  }
  return undefined;
}

export function checkLeases(
  leases: readonly LeaseRecord[],
  h: RevHistory,
  marginMs: number,
): string[] {
  const out: string[] = [];
  for (const l of leases) {
    for (const why of [earlyLoss(l, marginMs), keysKept(l, h), keysGone(l, h)]) {
      if (why !== undefined) out.push(why);
    }
  }
  const atomic = revokeAtomic(h);
  if (atomic !== undefined) out.push(atomic);
  return out.slice(0, 10);
}
