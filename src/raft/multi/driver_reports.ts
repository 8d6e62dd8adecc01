/**
 * What a node-level transport reports back to the multi-region driver
 * (driver.ts): a peer node it lost messages to (every region with a replica
 * there probes it again), and the outcome of a region's snapshot stream.
 * Each marks the regions touched and runs a round.
 */
import type { Message } from "../core/messages.ts";
import type { MultiRaftDriver } from "./driver.ts";

/** The transport lost messages to `node`: every region it is a member of probes it again. */
export function reportUnreachable(driver: MultiRaftDriver, node: number): void {
  for (const id of driver.regionIds()) {
    const r = driver.region(id);
    if (r === undefined || !r.peers().includes(node)) continue;
    r.rawNode.reportUnreachable(node);
    driver.markDirty(id);
  }
  driver.loop?.kick();
}

/** A region's snapshot to `node` was handed to the socket (ok) or lost. */
export function reportSnapshot(
  driver: MultiRaftDriver,
  region: number,
  node: number,
  ok: boolean,
): void {
  const r = driver.region(region);
  if (r === undefined) return;
  r.rawNode.reportSnapshot(node, ok);
  driver.markDirty(region);
  driver.loop?.kick();
}

/**
 * Whether region `region` still waits for snapshot `m` to its peer: led here in `m`'s term, its
 * progress toward `m.to` awaiting a snapshot. Asked once per stream as its turn comes (the
 * transport's queue): a stream is seconds of work, a full status copy is nothing beside it.
 */
export function awaitsSnapshot(driver: MultiRaftDriver, region: number, m: Message): boolean {
  const rn = driver.region(region)?.rawNode;
  if (rn === undefined || !rn.isLeader || rn.term !== m.term) return false;
  return rn.status().progress.get(m.to)?.state === "snapshot";
}
