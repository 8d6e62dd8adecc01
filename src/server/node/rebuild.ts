/**
 * Rebuilding a node that lost its state (docs/operations-disk.md). A node
 * whose data directory was wiped except IDENTITY comes back empty: it forgot
 * its log (so its vote would let a candidate that lacks committed entries win)
 * and its vote in the current term. Until it has caught up from a leader it
 * must not vote or campaign: it drops vote requests (RaftGroup.suppressVotes)
 * and waits for one linearizable read barrier — the leader's commit index,
 * confirmed by a quorum after the wipe, applied here (by log or snapshot).
 *
 * A marker file makes this survive a restart in the middle of catching up.
 */
import { SHARED_LOG_DIR, SINGLE_LOG_DIR } from "../../raft/log_migration.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock, FileSystem } from "../../platform/types.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { utf8 } from "../../util/bytes.ts";
import type { ReadBarrier } from "./read_barrier.ts";

export const REBUILD_MARKER = "REBUILDING";

/** How long to wait before asking again for the leader's commit index. */
const RETRY_MS = 200;
/** After this long without any entry from a leader, the log says what to do. */
const STUCK_HINT_MS = 10_000;

/**
 * True when this start is a rebuild: the marker is there, or the directory had
 * an IDENTITY (the node ran before) but no Raft log. Writes the marker then.
 */
export async function startsRebuild(
  fs: FileSystem,
  dataDir: string,
  hadIdentity: boolean,
): Promise<boolean> {
  const marker = `${dataDir}/${REBUILD_MARKER}`;
  if (fs.stat(marker) !== undefined) return true;
  if (!hadIdentity) return false;
  // Either Raft log (the shared one, or one written before regions) means state survived.
  for (const dir of [SHARED_LOG_DIR, SINGLE_LOG_DIR]) {
    if (fs.stat(`${dataDir}/${dir}`) !== undefined) return false;
  }
  const f = fs.open(marker, { create: true, truncate: true });
  try {
    f.append(utf8("this node lost its state: it does not vote until it has caught up\n"));
    await f.sync();
  } finally {
    f.close();
  }
  await fs.syncDir(dataDir);
  return true;
}

export interface CatchUpOptions {
  readonly node: RaftGroup;
  readonly reads: ReadBarrier;
  readonly clock: Clock;
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly appliedIndex: () => number;
  readonly closed: () => boolean;
  readonly logger: Logger;
}

/** Keeps the node from voting until it has applied a leader's commit index, then lets it. */
export async function catchUpBeforeVoting(o: CatchUpOptions): Promise<void> {
  o.node.suppressVotes = true;
  o.logger.warn("rebuild.started", {
    note: "this node does not vote until it has caught up from a leader",
  });
  const started = o.clock.nowMs();
  let hinted = false;
  for (;;) {
    if (o.closed()) return;
    try {
      await o.reads.wait(); // resolves once the leader's confirmed commit index is applied here
      break;
    } catch {
      if (!hinted && o.clock.nowMs() - started > STUCK_HINT_MS && o.appliedIndex() <= 1) {
        hinted = true;
        o.logger.warn("rebuild.stuck", {
          note: "no entries from the leader yet; a leader that knew this node " +
            "before the wipe probes from its old position: move leadership once " +
            "(tinykv transfer-leader <id>, docs/operations-disk.md)",
        });
      }
      await new Promise<void>((resolve) => o.clock.setTimeout(resolve, RETRY_MS));
    }
  }
  if (o.closed()) return;
  o.fs.remove(`${o.dataDir}/${REBUILD_MARKER}`);
  await o.fs.syncDir(o.dataDir);
  o.node.suppressVotes = false;
  o.logger.info("rebuild.done", { index: o.appliedIndex(), note: "caught up; voting again" });
}
