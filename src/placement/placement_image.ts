/**
 * The placement state's image: everything the placement group replicates, in one canonical
 * byte string (the Raft snapshot's data, docs/regions.md#placement-service):
 *
 *   version u8 (2; 1 is read too) · appliedIndex · appliedTerm · appliedMs · bootstrapped u8 ·
 *   nextId · tsoBound · nodes (by id) · removed node ids (oldest first) · regions (in key order,
 *   each: descriptor · leader · size · write rate · caught-up ids · report time · term (v2))
 *
 * Canonical: nodes sorted by id and regions in key order, whatever order they were learnt in,
 * so two replicas with the same state have byte-identical images. Decoding reads untrusted bytes
 * (a snapshot from a peer) and throws DecodeError or InvalidArgumentError, never anything else;
 * every count is checked against its bound before anything is allocated for it.
 */
import {
  MULTI_LOG_REGIONS_MAX,
  PLACEMENT_ADDRESS_BYTES_MAX,
  PLACEMENT_NODES_MAX,
  PLACEMENT_REMOVED_NODES_MAX,
  PLACEMENT_REPLICAS_MAX,
  PLACEMENT_ZONE_BYTES_MAX,
} from "../limits_ops.ts";
import { ByteReader, ByteWriter, DecodeError } from "../util/coding.ts";
import type { NodeInfo, RegionInfo } from "./cluster_view.ts";
import {
  readCount,
  readDescriptor,
  readFlag,
  readIds,
  readString,
  writeDescriptor,
  writeIds,
  writeString,
} from "./placement_codec.ts";

/** 2 adds each region's report term (session 22); a version 1 image reads with terms 0. */
export const PLACEMENT_IMAGE_VERSION = 2;

export interface PlacementImage {
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  /** The group's clock: the highest proposer stamp applied (never read from a local clock). */
  readonly appliedMs: number;
  readonly bootstrapped: boolean;
  /** The next region or replica id to hand out. */
  readonly nextId: number;
  /** The timestamp oracle's persisted upper bound. */
  readonly tsoBound: number;
  readonly nodes: readonly NodeInfo[];
  /** Ids of removed nodes, oldest removal first. */
  readonly removed: readonly number[];
  readonly regions: readonly RegionInfo[];
}

export function encodeImage(img: PlacementImage): Uint8Array {
  const w = new ByteWriter(256 + img.regions.length * 128);
  w.u8(PLACEMENT_IMAGE_VERSION).varint(img.appliedIndex).varint(img.appliedTerm);
  w.varint(img.appliedMs).u8(img.bootstrapped ? 1 : 0).varint(img.nextId).varint(img.tsoBound);
  const nodes = [...img.nodes].sort((a, b) => a.id - b.id);
  w.varint(nodes.length);
  for (const n of nodes) {
    w.varint(n.id);
    writeString(w, n.address);
    writeString(w, n.zone);
    w.varint(n.capacityBytes).varint(n.usedBytes).varint(n.lastHeartbeatMs);
    w.u8(n.draining ? 1 : 0);
  }
  writeIds(w, img.removed);
  w.varint(img.regions.length);
  for (const r of img.regions) {
    writeDescriptor(w, r.descriptor);
    w.varint(r.leader).varint(r.sizeBytes).varint(r.writesPerSec);
    writeIds(w, r.caughtUp);
    w.varint(r.reportedMs).varint(r.term);
  }
  return w.finish();
}

/** The image's fields; the caller checks that they make a consistent state. */
export function decodeImage(bytes: Uint8Array): PlacementImage {
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== PLACEMENT_IMAGE_VERSION && version !== 1) {
    throw new DecodeError(`unknown placement image version ${version}`, 0);
  }
  const appliedIndex = r.varint();
  const appliedTerm = r.varint();
  const appliedMs = r.varint();
  const bootstrapped = readFlag(r, "bootstrapped");
  const nextId = r.varint();
  const tsoBound = r.varint();
  const nodes = readNodes(r);
  const removed = readIds(r, PLACEMENT_REMOVED_NODES_MAX, "removed nodes");
  const regions = readRegions(r, version);
  if (r.remaining > 0) throw new DecodeError(`${r.remaining} bytes after the image`, r.offset);
  return {
    appliedIndex,
    appliedTerm,
    appliedMs,
    bootstrapped,
    nextId,
    tsoBound,
    nodes,
    removed,
    regions,
  };
}

function readNodes(r: ByteReader): NodeInfo[] {
  const n = readCount(r, PLACEMENT_NODES_MAX, "nodes");
  const out: NodeInfo[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: r.varint(),
      address: readString(r, PLACEMENT_ADDRESS_BYTES_MAX, "address"),
      zone: readString(r, PLACEMENT_ZONE_BYTES_MAX, "zone"),
      capacityBytes: r.varint(),
      usedBytes: r.varint(),
      lastHeartbeatMs: r.varint(),
      draining: readFlag(r, "draining"),
    });
  }
  return out;
}

function readRegions(r: ByteReader, version: number): RegionInfo[] {
  const n = readCount(r, MULTI_LOG_REGIONS_MAX, "regions");
  const out: RegionInfo[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      descriptor: readDescriptor(r),
      leader: r.varint(),
      sizeBytes: r.varint(),
      writesPerSec: r.varint(),
      caughtUp: readIds(r, PLACEMENT_REPLICAS_MAX, "caught-up replicas"),
      reportedMs: r.varint(),
      term: version >= 2 ? r.varint() : 0,
    });
  }
  return out;
}
