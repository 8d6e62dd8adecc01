/**
 * Checks a decoded placement image and loads it into a ClusterView. `checkImage` makes sure it
 * describes a state apply could have reached — distinct node ids in order, removed nodes not
 * among them, regions well formed, allocated, distinct, in key order and disjoint — so loading it
 * cannot fail half way: the placement state checks a snapshot's image in full before its live
 * state changes.
 */
import { compareEnd } from "../region/descriptor.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import type { ClusterView } from "./cluster_view.ts";
import type { PlacementCounters } from "./placement_apply.ts";
import { checkReport } from "./placement_commands.ts";
import type { PlacementImage } from "./placement_image.ts";

function bad(why: string): InvalidArgumentError {
  return new InvalidArgumentError(`placement image: ${why}`);
}

/** Throws InvalidArgumentError unless the image is a consistent placement state. */
export function checkImage(img: PlacementImage): void {
  if (img.nextId < 1) throw bad("next id 0");
  if (!img.bootstrapped && (img.nodes.length > 0 || img.regions.length > 0)) {
    throw bad("nodes or regions before the bootstrap");
  }
  let lastNode = 0;
  for (const n of img.nodes) {
    if (n.id <= lastNode) throw bad(`node ${n.id} out of order or listed twice`);
    lastNode = n.id;
  }
  const nodes = new Set(img.nodes.map((n) => n.id));
  const removed = new Set<number>();
  for (const id of img.removed) {
    if (id < 1 || removed.has(id) || nodes.has(id)) {
      throw bad(`removed node ${id} is invalid, listed twice or still a node`);
    }
    removed.add(id);
  }
  const ids = new Set<number>();
  let prevEnd: Uint8Array | undefined;
  for (const r of img.regions) {
    const d = r.descriptor;
    checkReport(d, r.leader, r.sizeBytes, r.writesPerSec, r.caughtUp);
    if (d.id >= img.nextId) throw bad(`region ${d.id} at or past the next id ${img.nextId}`);
    if (ids.has(d.id)) throw bad(`region ${d.id} listed twice`);
    ids.add(d.id);
    if (prevEnd !== undefined && compareEnd(prevEnd, d.start) > 0) {
      throw bad(`region ${d.id} overlaps the one before it, or is out of key order`);
    }
    prevEnd = d.end;
  }
}

/**
 * Replaces the view's contents with a checked image's; returns the counters to apply on from.
 * Disjoint regions in key order are each taken by the view's map, so nothing is refused.
 */
export function loadImage(view: ClusterView, img: PlacementImage): PlacementCounters {
  view.clear();
  for (const n of img.nodes) view.nodeHeartbeat(n);
  for (const r of img.regions) {
    if (!view.regionReport(r)) throw new Error(`placement view refused region ${r.descriptor.id}`);
  }
  return {
    appliedMs: img.appliedMs,
    bootstrapped: img.bootstrapped,
    nextId: img.nextId,
    tsoBound: img.tsoBound,
    removed: [...img.removed],
  };
}
