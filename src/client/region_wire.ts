/**
 * Regions as the client library returns them (docs/regions.md#routing), from the wire's
 * `RegionInfo`, and their JSON form, shared by `tinykv regions --json` and `GET /regions`.
 * A `RegionEntry` is a region descriptor (src/region/descriptor.ts) with the leader, sizes and
 * the replicas' zones and addresses, so the route cache takes it as it is.
 */
import type { RegionInfo } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { RegionDescriptor } from "../region/descriptor.ts";
import { toHex } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";

export interface RegionReplicaInfo {
  readonly nodeId: number;
  readonly role: "voter" | "learner";
  /** The node's zone label ("" when none). */
  readonly zone: string;
  /** host:port of the node's protobuf port ("" when the answering node does not know it). */
  readonly address: string;
}

export interface RegionEntry extends RegionDescriptor {
  readonly replicas: readonly RegionReplicaInfo[];
  /** 0 when the answering node knows no leader. */
  readonly leaderId: number;
  readonly approximateBytes: number;
  readonly approximateKeys: number;
}

export function regionFromWire(r: RegionInfo): RegionEntry {
  return {
    id: u64ToNumber(r.id, "region id"),
    start: r.start,
    end: r.end,
    epoch: {
      version: u64ToNumber(r.epoch?.version ?? 0n, "epoch version"),
      confVer: u64ToNumber(r.epoch?.confVer ?? 0n, "epoch conf version"),
    },
    replicas: r.replicas.map((p) => ({
      nodeId: u64ToNumber(p.nodeId, "replica node id"),
      role: p.learner ? "learner" : "voter",
      zone: p.zone,
      address: p.address,
    })),
    leaderId: u64ToNumber(r.leaderId, "leader id"),
    approximateBytes: u64ToNumber(r.approximateBytes, "approximate bytes"),
    approximateKeys: u64ToNumber(r.approximateKeys, "approximate keys"),
  };
}

/**
 * A key for people: printable ASCII as is (a backslash doubled), every other byte as `\xNN`.
 * An empty start prints as "" and an empty end as `+inf` (rangeText).
 */
export function printableKey(key: Uint8Array): string {
  let out = "";
  for (const b of key) {
    if (b === 0x5c) out += "\\\\";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** `["start", "end")`, with `+inf` for the unbounded end. */
export function rangeText(r: { start: Uint8Array; end: Uint8Array }): string {
  const quoted = (k: Uint8Array) => `"${printableKey(k).replaceAll('"', '\\"')}"`;
  return `[${quoted(r.start)}, ${r.end.length === 0 ? "+inf" : quoted(r.end)})`;
}

/** The JSON object of one region (docs/operations.md, "Regions"). */
export function regionJson(r: RegionEntry): Record<string, unknown> {
  return {
    id: r.id,
    start: printableKey(r.start),
    end: r.end.length === 0 ? null : printableKey(r.end),
    startHex: toHex(r.start),
    endHex: toHex(r.end),
    epoch: { version: r.epoch.version, confVer: r.epoch.confVer },
    leader: r.leaderId === 0 ? null : r.leaderId,
    replicas: r.replicas.map((p) => ({
      id: p.nodeId,
      role: p.role,
      zone: p.zone,
      address: p.address,
    })),
    approximateBytes: r.approximateBytes,
    approximateKeys: r.approximateKeys,
  };
}
