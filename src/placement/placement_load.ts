/**
 * Loads a decoded placement image into a ClusterView, checking on the way that it describes a
 * state apply could have reached: distinct node ids, removed nodes not among them, regions well
 * formed, allocated, in key order and disjoint. The placement state loads a snapshot's image
 * into a scratch view first, so a bad image throws before the live state changes.
 */
import { compareEnd } from "../region/descriptor.ts";
import { DecodeError } from "../util/coding.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import type { ClusterView } from "./cluster_view.ts";
import type { PlacementCounters } from "./placement_apply.ts";
import { checkReport } from "./placement_commands.ts";
import type { PlacementImage } from "./placement_image.ts";

function bad(why: string): InvalidArgumentError {
  return new InvalidArgumentError(`placement image: ${why}`);
}

/** Replaces the view's contents with the image's; returns the counters to apply on from. */
export function loadImage(view: ClusterView, img: PlacementImage): PlacementCounters {
  if (img.nextId < 1) throw bad("next id 0");
  if (!img.bootstrapped && (img.nodes.length > 0 || img.regions.length > 0)) {
    throw bad("nodes or regions before the bootstrap");
  }
  view.clear();
  let lastNode = 0;
  for (const n of img.nodes) {
    if (n.id <= lastNode) throw bad(`node ${n.id} out of order or listed twice`);
    lastNode = n.id;
    view.nodeHeartbeat(n);
  }
  const removed = new Set<number>();
  for (const id of img.removed) {
    if (id < 1 || removed.has(id) || view.node(id) !== undefined) {
      throw bad(`removed node ${id} is invalid, listed twice or still a node`);
    }
    removed.add(id);
  }
  let prevEnd: Uint8Array | undefined;
  for (const r of img.regions) {
    const d = r.descriptor;
    checkReport(d, r.leader, r.sizeBytes, r.writeBytesPerSec, r.caughtUp);
    if (d.id >= img.nextId) throw bad(`region ${d.id} at or past the next id ${img.nextId}`);
    if (prevEnd !== undefined && compareEnd(prevEnd, d.start) > 0) {
      throw bad(`region ${d.id} overlaps the one before it, or is out of key order`);
    }
    if (view.region(d.id) !== undefined) throw bad(`region ${d.id} listed twice`);
    if (!view.regionReport(r)) throw new DecodeError(`placement image: region ${d.id} refused`, 0);
    prevEnd = d.end;
  }
  return {
    appliedMs: img.appliedMs,
    bootstrapped: img.bootstrapped,
    nextId: img.nextId,
    tsoBound: img.tsoBound,
    removed: [...img.removed],
  };
}
