/**
 * The commands of the placement group's log (region 0, docs/decisions/0014-regions.md §7,
 * docs/regions.md#placement-service) and their binary form:
 *
 *   version u8 (2) · kind u8 · atMs varint · the kind's fields
 *
 * Version 2 (session 22) adds the reporting leader's term at the end of a region report; a
 * version 1 command (in a log written before) still decodes, its report term 0 (unknown).
 *
 * `atMs` is the proposing leader's clock when it proposed the command. Apply never reads a clock:
 * heartbeat ages, report times and the group's notion of "now" all come from these stamps, so
 * every replica applying the same log reaches the same state.
 *
 * `encodeCommand` checks a command before it can reach the log (InvalidArgumentError);
 * `decodeCommand` reads untrusted bytes and throws DecodeError (bad structure: truncated, an
 * unknown version or kind, an oversize field, trailing bytes) or InvalidArgumentError (well
 * formed but invalid values, by the same checks as encoding). It never throws anything else.
 */
import { checkDescriptor, type RegionDescriptor } from "../region/descriptor.ts";
import {
  PLACEMENT_ADDRESS_BYTES_MAX,
  PLACEMENT_BOOTSTRAP_NODES_MAX,
  PLACEMENT_COMMAND_BYTES_MAX,
  PLACEMENT_ID_BATCH_MAX,
  PLACEMENT_REPLICAS_MAX,
  PLACEMENT_ZONE_BYTES_MAX,
} from "../limits_ops.ts";
import { ByteReader, ByteWriter, DecodeError } from "../util/coding.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import {
  checkCount,
  checkDescriptorBounds,
  checkString,
  readCount,
  readDescriptor,
  readIds,
  readString,
  writeDescriptor,
  writeIds,
  writeString,
} from "./placement_codec.ts";

/** The version written; 1 is read too, any other is refused, never guessed at. */
export const PLACEMENT_COMMAND_VERSION = 2;

/** A node as the bootstrap command lists it. */
export interface BootstrapNode {
  readonly nodeId: number;
  readonly address: string;
  readonly zone: string;
}

export type PlacementCommandBody =
  | {
    readonly kind: "heartbeat";
    readonly nodeId: number;
    readonly address: string;
    readonly zone: string;
    readonly capacityBytes: number;
    readonly usedBytes: number;
  }
  | {
    readonly kind: "region-report";
    readonly descriptor: RegionDescriptor;
    /** Node id of the reporting leader. */
    readonly leader: number;
    readonly sizeBytes: number;
    readonly writesPerSec: number;
    readonly caughtUp: readonly number[];
    /** The reporting leader's Raft term (0: unknown; a command written before terms were). */
    readonly term: number;
  }
  | { readonly kind: "drain-node"; readonly nodeId: number }
  | { readonly kind: "remove-node"; readonly nodeId: number }
  /** Takes `count` ids from the one counter of region and replica ids. */
  | { readonly kind: "allocate-ids"; readonly count: number }
  /** The timestamp oracle's upper bound (src/txn/timestamp.ts). */
  | { readonly kind: "persist-tso-bound"; readonly bound: number }
  | {
    readonly kind: "bootstrap";
    readonly nodes: readonly BootstrapNode[];
    /** Region 1 of the new cluster. */
    readonly region: RegionDescriptor;
  };

/** A command with the proposing leader's clock reading (Unix ms). */
export type PlacementCommand = PlacementCommandBody & { readonly atMs: number };

export type PlacementCommandKind = PlacementCommand["kind"];

/** The command of one kind, e.g. `CommandOf<"heartbeat">`. */
export type CommandOf<K extends PlacementCommandKind> = Extract<PlacementCommand, { kind: K }>;

const KIND_CODES: Readonly<Record<PlacementCommandKind, number>> = {
  "heartbeat": 1,
  "region-report": 2,
  "drain-node": 3,
  "remove-node": 4,
  "allocate-ids": 5,
  "persist-tso-bound": 6,
  "bootstrap": 7,
};
const KINDS = Object.keys(KIND_CODES) as PlacementCommandKind[];

/** Throws InvalidArgumentError unless every field of the command is valid and within bounds. */
export function checkCommand(c: PlacementCommand): void {
  checkCount(c.atMs, "atMs");
  switch (c.kind) {
    case "heartbeat":
      checkCount(c.nodeId, "node id", 1);
      checkString(c.address, PLACEMENT_ADDRESS_BYTES_MAX, "address");
      checkString(c.zone, PLACEMENT_ZONE_BYTES_MAX, "zone");
      checkCount(c.capacityBytes, "capacity bytes");
      checkCount(c.usedBytes, "used bytes");
      return;
    case "region-report":
      checkCount(c.term, "report term");
      return checkReport(c.descriptor, c.leader, c.sizeBytes, c.writesPerSec, c.caughtUp);
    case "drain-node":
    case "remove-node":
      return checkCount(c.nodeId, "node id", 1);
    case "allocate-ids":
      checkCount(c.count, "id count", 1);
      if (c.count > PLACEMENT_ID_BATCH_MAX) {
        throw new InvalidArgumentError(`id count ${c.count} is over ${PLACEMENT_ID_BATCH_MAX}`);
      }
      return;
    case "persist-tso-bound":
      return checkCount(c.bound, "timestamp bound");
    case "bootstrap":
      return checkBootstrap(c.nodes, c.region);
  }
}

export function checkReport(
  d: RegionDescriptor,
  leader: number,
  sizeBytes: number,
  writesPerSec: number,
  caughtUp: readonly number[],
): void {
  checkDescriptor(d);
  checkDescriptorBounds(d);
  checkCount(sizeBytes, "region size");
  checkCount(writesPerSec, "write rate");
  if (leader !== 0 && !d.replicas.some((p) => p.nodeId === leader)) {
    throw new InvalidArgumentError(`region ${d.id}: leader ${leader} is not a replica`);
  }
  if (caughtUp.length > PLACEMENT_REPLICAS_MAX) {
    throw new InvalidArgumentError(`region ${d.id}: over ${PLACEMENT_REPLICAS_MAX} caught up`);
  }
  for (const n of caughtUp) checkCount(n, "caught-up node id", 1);
}

function checkBootstrap(nodes: readonly BootstrapNode[], region: RegionDescriptor): void {
  if (nodes.length < 1 || nodes.length > PLACEMENT_BOOTSTRAP_NODES_MAX) {
    const max = PLACEMENT_BOOTSTRAP_NODES_MAX;
    throw new InvalidArgumentError(`bootstrap lists ${nodes.length} nodes; 1 to ${max}`);
  }
  const ids = new Set<number>();
  for (const n of nodes) {
    checkCount(n.nodeId, "node id", 1);
    checkString(n.address, PLACEMENT_ADDRESS_BYTES_MAX, "address");
    checkString(n.zone, PLACEMENT_ZONE_BYTES_MAX, "zone");
    if (ids.has(n.nodeId)) throw new InvalidArgumentError(`node ${n.nodeId} listed twice`);
    ids.add(n.nodeId);
  }
  checkDescriptor(region);
  checkDescriptorBounds(region);
  const missing = region.replicas.find((p) => !ids.has(p.nodeId));
  if (missing !== undefined) {
    throw new InvalidArgumentError(`region ${region.id}: replica ${missing.nodeId} is no node`);
  }
}

/** The command's bytes, for a proposal; throws InvalidArgumentError for an invalid command. */
export function encodeCommand(c: PlacementCommand): Uint8Array {
  checkCommand(c);
  const w = new ByteWriter(64);
  w.u8(PLACEMENT_COMMAND_VERSION).u8(KIND_CODES[c.kind]).varint(c.atMs);
  switch (c.kind) {
    case "heartbeat":
      w.varint(c.nodeId);
      writeString(w, c.address);
      writeString(w, c.zone);
      w.varint(c.capacityBytes).varint(c.usedBytes);
      break;
    case "region-report":
      writeDescriptor(w, c.descriptor);
      w.varint(c.leader).varint(c.sizeBytes).varint(c.writesPerSec);
      writeIds(w, c.caughtUp);
      w.varint(c.term);
      break;
    case "drain-node":
    case "remove-node":
      w.varint(c.nodeId);
      break;
    case "allocate-ids":
      w.varint(c.count);
      break;
    case "persist-tso-bound":
      w.varint(c.bound);
      break;
    case "bootstrap":
      w.varint(c.nodes.length);
      for (const n of c.nodes) {
        w.varint(n.nodeId);
        writeString(w, n.address);
        writeString(w, n.zone);
      }
      writeDescriptor(w, c.region);
  }
  if (w.length > PLACEMENT_COMMAND_BYTES_MAX) {
    throw new InvalidArgumentError(
      `placement command is over ${PLACEMENT_COMMAND_BYTES_MAX} bytes`,
    );
  }
  return w.finish();
}

/** The command in `bytes`; throws DecodeError or InvalidArgumentError (never anything else). */
export function decodeCommand(bytes: Uint8Array): PlacementCommand {
  if (bytes.length > PLACEMENT_COMMAND_BYTES_MAX) {
    throw new DecodeError(`placement command is over ${PLACEMENT_COMMAND_BYTES_MAX} bytes`, 0);
  }
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== PLACEMENT_COMMAND_VERSION && version !== 1) {
    throw new DecodeError(`unknown placement command version ${version}`, 0);
  }
  const code = r.u8();
  const kind = KINDS.find((k) => KIND_CODES[k] === code);
  if (kind === undefined) throw new DecodeError(`unknown placement command kind ${code}`, 1);
  const atMs = r.varint();
  const c = { ...readBody(r, kind, version), atMs } as PlacementCommand;
  if (r.remaining > 0) throw new DecodeError(`${r.remaining} bytes after the command`, r.offset);
  checkCommand(c);
  return c;
}

function readBody(
  r: ByteReader,
  kind: PlacementCommandKind,
  version: number,
): PlacementCommandBody {
  switch (kind) {
    case "heartbeat":
      return {
        kind,
        nodeId: r.varint(),
        address: readString(r, PLACEMENT_ADDRESS_BYTES_MAX, "address"),
        zone: readString(r, PLACEMENT_ZONE_BYTES_MAX, "zone"),
        capacityBytes: r.varint(),
        usedBytes: r.varint(),
      };
    case "region-report":
      return {
        kind,
        descriptor: readDescriptor(r),
        leader: r.varint(),
        sizeBytes: r.varint(),
        writesPerSec: r.varint(),
        caughtUp: readIds(r, PLACEMENT_REPLICAS_MAX, "caught-up replicas"),
        term: version >= 2 ? r.varint() : 0,
      };
    case "drain-node":
    case "remove-node":
      return { kind, nodeId: r.varint() };
    case "allocate-ids":
      return { kind, count: r.varint() };
    case "persist-tso-bound":
      return { kind, bound: r.varint() };
    case "bootstrap": {
      const n = readCount(r, PLACEMENT_BOOTSTRAP_NODES_MAX, "bootstrap nodes");
      const nodes: BootstrapNode[] = [];
      for (let i = 0; i < n; i++) {
        const nodeId = r.varint();
        const address = readString(r, PLACEMENT_ADDRESS_BYTES_MAX, "address");
        nodes.push({ nodeId, address, zone: readString(r, PLACEMENT_ZONE_BYTES_MAX, "zone") });
      }
      return { kind, nodes, region: readDescriptor(r) };
    }
  }
}
