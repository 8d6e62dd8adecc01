/**
 * WAIT numreplicas timeout: how many replicas hold this connection's writes.
 * On TinyKV the replicas are the leader's followers and learners, and a
 * follower holds a write when its match index (Raft progress) reaches the
 * write's log index. The connection's last write is known to be at or below
 * the leader's applied index when WAIT starts (the write was applied before it
 * was answered, and WAIT runs after it), so WAIT uses that index: it may wait
 * for a few later writes of other connections, never count a replica too soon.
 * Only the leader knows its followers' progress: other nodes refuse WAIT.
 */
import { intArg } from "../../kv/redis/command.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { pauseUntil } from "./resp_pause.ts";

const POLL_MS = 5;

function replicasAt(ctx: RespContext, index: number): number {
  const s = ctx.service.status();
  if (s.role !== "leader") {
    throw new RespCommandError(
      `WAIT can only be sent to the leader: this node is a ${s.role} (leader: ${
        s.leader ?? "none"
      })`,
    );
  }
  return s.members.filter((m) => m.id !== s.id && (m.matchIndex ?? 0) >= index).length;
}

async function wait(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const wanted = intArg(args[1]);
  const timeoutMs = intArg(args[2], "ERR timeout is not an integer or out of range");
  if (timeoutMs < 0) throw new RespCommandError("timeout is negative");
  const index = ctx.conn.wrote ? ctx.service.status().appliedIndex : 0;
  let count = replicasAt(ctx, index);
  if (count < wanted) {
    await pauseUntil(ctx, timeoutMs === 0 ? Infinity : timeoutMs, () => {
      count = replicasAt(ctx, index);
      return count >= wanted;
    }, POLL_MS);
  }
  return (w) => w.integer(count);
}

/** Exclusive: it must see the connection's earlier writes finished. */
export const WAIT: RespCommandSpec = { arity: 3, kind: "exclusive", run: wait };
