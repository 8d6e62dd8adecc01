/**
 * What a driver round (round.ts) sends and saves besides the Readys: every
 * region's messages batched per destination node, snapshot images filled in,
 * vote requests of a region that may not vote left out, and the bootstrap of
 * a new region.
 */
import { EMPTY_CONF_STATE, isVoteRequest, type Message, MessageType } from "../core/messages.ts";
import type { PersistRequest } from "../log_store.ts";
import type { HeldCommitNotices } from "./commit_notices.ts";
import type { RegionReplica } from "./region_replica.ts";
import type { MultiTransport, RegionMessage } from "./transport.ts";

/** Regions' messages, one batch per destination node; commit notices may be `held`. */
export function sendRegions(
  out: Iterable<readonly [RegionReplica, readonly Message[]]>,
  from: number,
  transport: MultiTransport,
  held?: HeldCommitNotices,
): void {
  const batches = new Map<number, RegionMessage[]>();
  for (const [r, messages] of out) {
    for (const m of messages) {
      if (r.suppressVotes && isVoteRequest(m)) continue; // dropped, as if lost
      if (held?.hold(r, m) === true) continue;
      const message = m.type === MessageType.Snap ? withImage(r, m) : m;
      const list = batches.get(m.to);
      if (list === undefined) batches.set(m.to, [{ region: r.id, message }]);
      else list.push({ region: r.id, message });
    }
  }
  for (const [to, messages] of batches) transport.send({ from, to, messages });
}

/** The log keeps snapshot markers only: the image comes from the state machine. */
function withImage(r: RegionReplica, m: Message): Message {
  if (m.type !== MessageType.Snap) return m;
  const data = r.sm.image?.(m.snapshot.metadata.index) ?? new Uint8Array(0);
  return { ...m, snapshot: { metadata: m.snapshot.metadata, data } };
}

export function isHeartbeat(m: Message): boolean {
  return m.type === MessageType.Heartbeat || m.type === MessageType.HeartbeatResp;
}

export function bootstrapRequest(voters: readonly number[]): PersistRequest {
  const confState = { ...EMPTY_CONF_STATE, voters: [...voters] };
  return {
    hardState: { term: 1, vote: 0, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) },
    mustSync: true,
  };
}
