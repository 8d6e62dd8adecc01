/**
 * The placement service's requests and answers, carried as the bytes of a
 * protobuf `PlacementRequest`/`PlacementResponse` on the client port
 * (docs/regions.md "The placement service on the node"):
 *
 *   request:  version u8 (1) · kind u8 · forwarded u8 (0 or 1) · fields
 *   response: version u8 (1) · kind u8 · fields
 *
 * Decoding reads untrusted bytes: it throws DecodeError (structure) or
 * InvalidArgumentError (values, checked as the placement commands check them)
 * and nothing else. Its own encoding keeps the protobuf schema to one bytes
 * field while the service's messages are young.
 */
import type { RegionDescriptor } from "../../region/descriptor.ts";
import {
  PLACEMENT_ADDRESS_BYTES_MAX,
  PLACEMENT_REPLICAS_MAX,
  PLACEMENT_REPORTS_PER_HEARTBEAT_MAX,
  PLACEMENT_RPC_BYTES_MAX,
  PLACEMENT_ZONE_BYTES_MAX,
} from "../../limits_ops.ts";
import { KEY_BYTES_MAX } from "../../limits.ts";
import {
  checkDescriptorBounds,
  readCount,
  readDescriptor,
  readFlag,
  readIds,
  readString,
  writeDescriptor,
  writeIds,
  writeString,
} from "../../placement/placement_codec.ts";
import { ByteReader, ByteWriter, DecodeError } from "../../util/coding.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import {
  checkOrders,
  type HeartbeatOrders,
  type HeldRegion,
  readHeld,
  readOrders,
  readRegionIds,
  readTerms,
  writeHeld,
  writeOrders,
  writeRegionIds,
  writeTerms,
} from "./placement_orders.ts";
import { checkPlacementRequest } from "./placement_request_check.ts";
import type { GroupHeard } from "./placement_group.ts";
import { readGroupHeard, writeGroupHeard } from "./placement_group_wire.ts";

const VERSION = 1;

/** What a region's leader reports of it in a heartbeat. */
export interface RegionReportInput {
  readonly descriptor: RegionDescriptor;
  readonly leader: number;
  readonly sizeBytes: number;
  readonly writesPerSec: number;
  readonly caughtUp: readonly number[];
}

export interface NodeHeartbeat {
  readonly nodeId: number;
  readonly address: string;
  readonly zone: string;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly reports: readonly RegionReportInput[];
  /** The regions the node hosts (for the tombstones of replicas removed while it was away). */
  readonly held?: readonly HeldRegion[];
  /** The Raft term each report was made in (`terms[i]` for `reports[i]`): step orders name it. */
  readonly terms?: readonly number[];
  /**
   * Regions whose replica on this node may not vote yet (created from a leader's message, not
   * caught up): placement does not promote it to voter until it is off this list.
   */
  readonly catchingUp?: readonly number[];
  /** Region 0 on the sender: the placement leader's changes of its group wait for it. */
  readonly placement?: GroupHeard;
}

export type PlacementRequestBody =
  | { readonly kind: "heartbeat"; readonly heartbeat: NodeHeartbeat }
  | { readonly kind: "timestamps"; readonly count: number }
  | { readonly kind: "drain"; readonly nodeId: number }
  /** Region ids for splits, from the group's counter. */
  | { readonly kind: "allocate-ids"; readonly count: number }
  /** The leader's summary of the placement state (`tinykv status`). */
  | { readonly kind: "status" }
  /** The region holding `key` and its leader (a node forwarding what it holds no replica of). */
  | { readonly kind: "route"; readonly key: Uint8Array };

export type PlacementAnswer =
  /** A heartbeat's answer carries the operator steps for the node's regions (and tombstones). */
  | { readonly kind: "done"; readonly leaderId: number; readonly orders?: HeartbeatOrders }
  | { readonly kind: "ids"; readonly first: number; readonly count: number }
  | { readonly kind: "timestamps"; readonly first: number; readonly count: number }
  | { readonly kind: "error"; readonly code: number; readonly message: string }
  /** The summary as JSON text (placement_view.ts `placementStatus`). */
  | { readonly kind: "status"; readonly json: string }
  /** The region holding the key asked for (none: placement knows no such region yet). */
  | { readonly kind: "route"; readonly region?: RegionDescriptor; readonly leader: number };

/** Written to the wire: never renumber, never reuse. */
const REQUEST_KINDS = [
  "heartbeat",
  "timestamps",
  "drain",
  "status",
  "allocate-ids",
  "route",
] as const;
const ANSWER_KINDS = ["done", "timestamps", "error", "status", "ids", "route"] as const;

/** A request and whether a node forwarded it (a forwarded request is not forwarded again). */
export interface PlacementRequest {
  readonly body: PlacementRequestBody;
  readonly forwarded: boolean;
}

export function encodePlacementRequest(b: PlacementRequestBody, forwarded = false): Uint8Array {
  checkPlacementRequest(b);
  const w = new ByteWriter(128);
  w.u8(VERSION).u8(REQUEST_KINDS.indexOf(b.kind)).u8(forwarded ? 1 : 0);
  if (b.kind === "timestamps" || b.kind === "allocate-ids") w.varint(b.count);
  else if (b.kind === "drain") w.varint(b.nodeId);
  else if (b.kind === "route") w.lengthPrefixed(b.key);
  else if (b.kind === "heartbeat") {
    const h = b.heartbeat;
    w.varint(h.nodeId);
    writeString(w, h.address);
    writeString(w, h.zone);
    w.varint(h.capacityBytes).varint(h.usedBytes).varint(h.reports.length);
    for (const r of h.reports) {
      writeDescriptor(w, r.descriptor);
      w.varint(r.leader).varint(r.sizeBytes).varint(r.writesPerSec);
      writeIds(w, r.caughtUp);
    }
    const group = h.placement;
    const later = h.terms !== undefined || h.catchingUp !== undefined || group !== undefined;
    if (h.held !== undefined || later) writeHeld(w, h.held ?? []);
    if (later) writeTerms(w, h.terms ?? h.reports.map(() => 0));
    if (h.catchingUp !== undefined || group !== undefined) writeRegionIds(w, h.catchingUp ?? []);
    if (group !== undefined) writeGroupHeard(w, group);
  }
  return sized(w.finish());
}

function sized(bytes: Uint8Array): Uint8Array {
  if (bytes.length > PLACEMENT_RPC_BYTES_MAX) {
    throw new InvalidArgumentError(`placement message is over ${PLACEMENT_RPC_BYTES_MAX} bytes`);
  }
  return bytes;
}

function header(bytes: Uint8Array, kinds: readonly string[]): { r: ByteReader; kind: number } {
  if (bytes.length > PLACEMENT_RPC_BYTES_MAX) {
    throw new DecodeError(`placement message is over ${PLACEMENT_RPC_BYTES_MAX} bytes`, 0);
  }
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw new DecodeError(`unknown placement message version ${version}`, 0);
  const kind = r.u8();
  if (kind >= kinds.length) throw new DecodeError(`unknown placement message kind ${kind}`, 1);
  return { r, kind };
}

function done<T>(r: ByteReader, value: T): T {
  if (r.remaining > 0) throw new DecodeError(`${r.remaining} bytes after the message`, r.offset);
  return value;
}

export function decodePlacementRequest(bytes: Uint8Array): PlacementRequest {
  const { r, kind } = header(bytes, REQUEST_KINDS);
  const flag = r.u8();
  if (flag > 1) throw new DecodeError(`forwarded flag ${flag} is not 0 or 1`, 2);
  let b: PlacementRequestBody;
  if (REQUEST_KINDS[kind] === "timestamps") b = { kind: "timestamps", count: r.varint() };
  else if (REQUEST_KINDS[kind] === "drain") b = { kind: "drain", nodeId: r.varint() };
  else if (REQUEST_KINDS[kind] === "status") b = { kind: "status" };
  else if (REQUEST_KINDS[kind] === "allocate-ids") b = { kind: "allocate-ids", count: r.varint() };
  else if (REQUEST_KINDS[kind] === "route") {
    b = { kind: "route", key: r.lengthPrefixed(KEY_BYTES_MAX).slice() };
  } else b = { kind: "heartbeat", heartbeat: readHeartbeat(r) };
  checkPlacementRequest(done(r, b));
  return { body: b, forwarded: flag === 1 };
}

function readHeartbeat(r: ByteReader): NodeHeartbeat {
  const nodeId = r.varint();
  const address = readString(r, PLACEMENT_ADDRESS_BYTES_MAX, "address");
  const zone = readString(r, PLACEMENT_ZONE_BYTES_MAX, "zone");
  const capacityBytes = r.varint();
  const usedBytes = r.varint();
  const n = readCount(r, PLACEMENT_REPORTS_PER_HEARTBEAT_MAX, "region reports");
  const reports: RegionReportInput[] = [];
  for (let i = 0; i < n; i++) {
    const descriptor = readDescriptor(r);
    const leader = r.varint();
    const sizeBytes = r.varint();
    const writesPerSec = r.varint();
    const caughtUp = readIds(r, PLACEMENT_REPLICAS_MAX, "caught-up replicas");
    reports.push({ descriptor, leader, sizeBytes, writesPerSec, caughtUp });
  }
  const held = readHeld(r);
  const terms = readTerms(r);
  const catchingUp = readRegionIds(r);
  const placement = readGroupHeard(r);
  const h = { nodeId, address, zone, capacityBytes, usedBytes, reports };
  const withHeld = held === undefined ? h : { ...h, held };
  const withTerms = terms === undefined ? withHeld : { ...withHeld, terms };
  const withCatching = catchingUp === undefined ? withTerms : { ...withTerms, catchingUp };
  return placement === undefined ? withCatching : { ...withCatching, placement };
}

export function encodePlacementAnswer(a: PlacementAnswer): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(VERSION).u8(ANSWER_KINDS.indexOf(a.kind));
  if (a.kind === "done") {
    w.varint(a.leaderId);
    if (a.orders !== undefined) {
      checkOrders(a.orders);
      writeOrders(w, a.orders);
    }
  } else if (a.kind === "timestamps" || a.kind === "ids") w.varint(a.first).varint(a.count);
  else if (a.kind === "status") writeString(w, a.json);
  else if (a.kind === "route") {
    w.varint(a.leader).u8(a.region === undefined ? 0 : 1);
    if (a.region !== undefined) writeDescriptor(w, a.region);
  } else {
    w.varint(a.code);
    writeString(w, a.message.slice(0, 1024));
  }
  return sized(w.finish());
}

export function decodePlacementAnswer(bytes: Uint8Array): PlacementAnswer {
  const { r, kind } = header(bytes, ANSWER_KINDS);
  if (ANSWER_KINDS[kind] === "done") {
    const leaderId = r.varint();
    const orders = readOrders(r);
    return done(
      r,
      orders === undefined ? { kind: "done", leaderId } : { kind: "done", leaderId, orders },
    );
  }
  if (ANSWER_KINDS[kind] === "timestamps" || ANSWER_KINDS[kind] === "ids") {
    const first = r.varint();
    const k = ANSWER_KINDS[kind] === "ids" ? "ids" as const : "timestamps" as const;
    return done(r, { kind: k, first, count: r.varint() });
  }
  if (ANSWER_KINDS[kind] === "status") {
    const json = readString(r, PLACEMENT_RPC_BYTES_MAX, "status");
    return done(r, { kind: "status", json });
  }
  if (ANSWER_KINDS[kind] === "route") {
    const leader = r.varint();
    if (!readFlag(r, "region")) return done(r, { kind: "route", leader });
    const region = readDescriptor(r);
    checkDescriptorBounds(region);
    return done(r, { kind: "route", region, leader });
  }
  const code = r.varint();
  return done(r, { kind: "error", code, message: readString(r, 4096, "error message") });
}
