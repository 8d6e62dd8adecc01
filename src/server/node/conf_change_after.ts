/**
 * Whether a region's log holds, past an index, a conf change adding this node again
 * (region_operators.ts: a replica left out of its configuration is kept while one may come).
 */
import { EntryType } from "../../raft/core/messages.ts";
import { ConfChangeType, decodeConfChange } from "../../raft/core/confchange/conf_change.ts";
import type { NodeRaft } from "./region_driver.ts";

/** Bytes of a region's unapplied log tail read to look for a conf change. */
const CONF_SCAN_BYTES = 4 * 1024 * 1024;

/**
 * Whether region `id`'s log holds, after `index`, a conf change that adds this node (as a voter or
 * a learner): applying it would list the node again. Reads a bounded tail.
 */
export function confChangeAfter(raft: NodeRaft, self: number, id: number, index: number): boolean {
  const storage = raft.n.log.group(id).storage;
  const from = Math.max(index + 1, storage.firstIndex());
  const to = storage.lastIndex();
  if (to < from) return false;
  const entries = storage.entries(from, to + 1, CONF_SCAN_BYTES);
  // Past the bytes scanned: unknown, so assume one (the replica is kept).
  if (entries.length < to - from + 1) return true;
  return entries.some((e) => {
    if (e.type !== EntryType.ConfChange) return false;
    const cc = decodeConfChange(e.data);
    return cc === undefined ||
      cc.changes.some((c) => c.nodeId === self && c.type !== ConfChangeType.RemoveNode);
  });
}
