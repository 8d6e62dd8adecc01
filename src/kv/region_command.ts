/**
 * Region-level log entries and outcomes (docs/formats.md#region-commands): what a region's
 * Raft group applies besides the `tinykv.v1.Command`s of the KV layer.
 *
 * Both start with the byte 0x00, which no protobuf message starts with (field number 0 does
 * not exist), so an entry or an outcome is told from a `Command` / `ClientResponse` by its
 * first byte, and the protobuf schema is unchanged:
 *
 * - `Split` {regionId, epoch, splitKey, newRegionId}: an admin command of the region (§8).
 * - `Routed` {regionId, epoch, command}: a KV command the proposer routed with the region's
 *   epoch; apply checks the epoch and the command's keys against the descriptor it holds.
 *   With a `timestamp` (kind 0x04, a node that splits: decision 0018) it also carries the
 *   timestamp the leader took from the timestamp oracle; apply derives the revision from it.
 * - `Txn` {regionId, epoch, request}: a Percolator write of the region (src/txn/txn_codec.ts;
 *   region_txn_apply.ts), checked as `Routed`; its answer is the outcome `txn` {reply}.
 *
 * The outcomes (`RegionOutcome`) map onto client error codes later (the client protocol is
 * another change): `key-not-in-region` → KEY_NOT_IN_REGION (with the region's descriptor),
 * `epoch-not-match` → EPOCH_NOT_MATCH (with the current descriptor), `region-not-found` →
 * REGION_NOT_FOUND, `invalid` → INVALID_ARGUMENT; `split` is the success of a split.
 */
import type { RegionDescriptor, RegionEpoch, Replica } from "../region/descriptor.ts";
import { DecodeError, readU32BE, readU64BE, writeU32BE, writeU64BE } from "../util/coding.ts";
import { errorMessage } from "../util/errors.ts";
import { decodeDescriptor, encodeDescriptor } from "./region_descriptor_record.ts";
import { takeHeadroom } from "./entry_headroom.ts";
import {
  COMMIT_MERGE,
  decodeMergeCommand,
  encodeMergeCommand,
  type MergeCommand,
  PREPARE_MERGE,
  ROLLBACK_MERGE,
} from "./region_merge_command.ts";

/** The first byte of every region-level entry and outcome. */
export const REGION_MARK = 0x00;
const SPLIT = 0x01, ROUTED = 0x02, TXN = 0x03, ROUTED_AT = 0x04;
const HEAD = 2 + 24;
/** Bytes before the command in a `Routed` entry with a timestamp (its header). */
export const ROUTED_AT_HEAD_BYTES = HEAD + 8;

export interface SplitCommand {
  readonly kind: "split";
  readonly regionId: number;
  readonly epoch: RegionEpoch;
  readonly splitKey: Uint8Array;
  readonly newRegionId: number;
  /**
   * The parent's replicas as the proposing leader's Raft configuration has them: both halves
   * get them, and the child's first Raft configuration is made of them, so every replica
   * builds the child alike whatever its local view (they travel in the entry).
   */
  readonly replicas: readonly Replica[];
}

export interface RoutedCommand {
  readonly kind: "routed";
  readonly regionId: number;
  readonly epoch: RegionEpoch;
  /** An encoded `tinykv.v1.Command`. */
  readonly command: Uint8Array;
  /**
   * The leader's timestamp from the oracle (a node that splits, decision 0018): the command's
   * revision is `max(timestamp, the region's revision + 1)`. Absent: the revision is the index.
   */
  readonly timestamp?: number;
}

/** A Percolator write request of the region (src/txn/txn_codec.ts). */
export interface TxnCommand {
  readonly kind: "txn";
  readonly regionId: number;
  readonly epoch: RegionEpoch;
  /** An encoded `TxnWriteRequest`. */
  readonly request: Uint8Array;
}

export type RegionCommand = SplitCommand | RoutedCommand | TxnCommand | MergeCommand;

export function isRegionEntry(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === REGION_MARK;
}

export function encodeRegionCommand(c: RegionCommand): Uint8Array {
  if (c.kind !== "split" && c.kind !== "routed" && c.kind !== "txn") return encodeMergeCommand(c);
  const stamped = c.kind === "routed" && c.timestamp !== undefined;
  const tail = c.kind === "split"
    ? 12 + 9 * c.replicas.length + c.splitKey.length
    : c.kind === "routed"
    ? c.command.length + (stamped ? 8 : 0)
    : c.request.length;
  // A command encoded with room for this header takes it in place, uncopied (entry_headroom.ts).
  const roomy = stamped ? takeHeadroom(c.command, ROUTED_AT_HEAD_BYTES) : undefined;
  const out = roomy ?? new Uint8Array(HEAD + tail);
  out[0] = REGION_MARK;
  out[1] = c.kind === "split" ? SPLIT : c.kind === "routed" ? (stamped ? ROUTED_AT : ROUTED) : TXN;
  writeU64BE(out, 2, c.regionId);
  writeU64BE(out, 10, c.epoch.version);
  writeU64BE(out, 18, c.epoch.confVer);
  if (c.kind === "routed" && c.timestamp !== undefined) {
    writeU64BE(out, HEAD, c.timestamp);
    if (roomy === undefined) out.set(c.command, HEAD + 8);
    return out;
  }
  if (c.kind !== "split") {
    out.set(c.kind === "routed" ? c.command : c.request, HEAD);
    return out;
  }
  writeU64BE(out, HEAD, c.newRegionId);
  writeU32BE(out, HEAD + 8, c.replicas.length);
  let at = HEAD + 12;
  for (const r of c.replicas) {
    writeU64BE(out, at, r.nodeId);
    out[at + 8] = r.role === "voter" ? 0 : 1;
    at += 9;
  }
  out.set(c.splitKey, at);
  return out;
}

/** A split's replicas at most (a decode bound; a region has a handful). */
const SPLIT_REPLICAS_MAX = 64;

/** Decodes a region-level entry; throws DecodeError when it is malformed. */
export function decodeRegionCommand(data: Uint8Array): RegionCommand {
  if (data.length < HEAD || data[0] !== REGION_MARK) {
    throw new DecodeError("truncated region command", 0);
  }
  const regionId = readU64BE(data, 2);
  const epoch = { version: readU64BE(data, 10), confVer: readU64BE(data, 18) };
  if (data[1] === ROUTED) {
    return { kind: "routed", regionId, epoch, command: data.subarray(HEAD) };
  }
  if (data[1] === ROUTED_AT) {
    if (data.length < HEAD + 8) throw new DecodeError("truncated routed command", HEAD);
    const timestamp = readU64BE(data, HEAD);
    if (!Number.isSafeInteger(timestamp)) throw new DecodeError("timestamp past 2^53", HEAD);
    return { kind: "routed", regionId, epoch, command: data.subarray(HEAD + 8), timestamp };
  }
  if (data[1] === TXN) return { kind: "txn", regionId, epoch, request: data.subarray(HEAD) };
  if ([PREPARE_MERGE, COMMIT_MERGE, ROLLBACK_MERGE].includes(data[1])) {
    return decodeMergeCommand(data);
  }
  if (data[1] !== SPLIT) throw new DecodeError(`region command kind ${data[1]}`, 1);
  if (data.length < HEAD + 12) throw new DecodeError("truncated split", HEAD);
  const newRegionId = readU64BE(data, HEAD);
  const count = readU32BE(data, HEAD + 8);
  let at = HEAD + 12;
  if (count > SPLIT_REPLICAS_MAX || data.length < at + 9 * count) {
    throw new DecodeError(`split with ${count} replicas`, HEAD + 8);
  }
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++, at += 9) {
    if (data[at + 8] > 1) throw new DecodeError(`replica role ${data[at + 8]}`, at + 8);
    replicas.push({ nodeId: readU64BE(data, at), role: data[at + 8] === 0 ? "voter" : "learner" });
  }
  return { kind: "split", regionId, epoch, newRegionId, replicas, splitKey: data.slice(at) };
}

export type RegionOutcome =
  | { readonly kind: "split"; readonly left: RegionDescriptor; readonly right: RegionDescriptor }
  | {
    readonly kind: "key-not-in-region";
    readonly key: Uint8Array;
    readonly region: RegionDescriptor;
  }
  | { readonly kind: "epoch-not-match"; readonly current: RegionDescriptor }
  | { readonly kind: "region-not-found"; readonly regionId: number }
  | { readonly kind: "invalid"; readonly message: string }
  /** The answer of a `Txn` command (an encoded `TxnWriteReply`). */
  | { readonly kind: "txn"; readonly reply: Uint8Array }
  /** The merge's successes (region_merge_command.ts): the descriptor each one left. */
  | {
    readonly kind: "merge-prepared" | "merged" | "merge-rolled-back";
    readonly region: RegionDescriptor;
  };

const OUTCOME_KINDS = [
  "split",
  "key-not-in-region",
  "epoch-not-match",
  "region-not-found",
  "invalid",
  "txn",
  "merge-prepared",
  "merged",
  "merge-rolled-back",
] as const;

/** Length-prefixed parts after the mark and the kind byte. */
function framed(kind: RegionOutcome["kind"], parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(2 + parts.reduce((n, p) => n + 4 + p.length, 0));
  out[0] = REGION_MARK;
  out[1] = OUTCOME_KINDS.indexOf(kind) + 1;
  let at = 2;
  for (const p of parts) (writeU32BE(out, at, p.length), out.set(p, at + 4), at += 4 + p.length);
  return out;
}

export function encodeRegionOutcome(o: RegionOutcome): Uint8Array {
  const id = new Uint8Array(8);
  switch (o.kind) {
    case "split":
      return framed(o.kind, [encodeDescriptor(o.left), encodeDescriptor(o.right)]);
    case "key-not-in-region":
      return framed(o.kind, [o.key, encodeDescriptor(o.region)]);
    case "epoch-not-match":
      return framed(o.kind, [encodeDescriptor(o.current)]);
    case "region-not-found":
      return (writeU64BE(id, 0, o.regionId), framed(o.kind, [id]));
    case "invalid":
      return framed(o.kind, [new TextEncoder().encode(o.message)]);
    case "txn":
      return framed(o.kind, [o.reply]);
    case "merge-prepared":
    case "merged":
    case "merge-rolled-back":
      return framed(o.kind, [encodeDescriptor(o.region)]);
  }
}

/** The region outcome in `bytes`, or undefined when they are a ClientResponse. */
export function decodeRegionOutcome(bytes: Uint8Array): RegionOutcome | undefined {
  if (bytes.length < 2 || bytes[0] !== REGION_MARK) return undefined;
  const parts: Uint8Array[] = [];
  for (let at = 2; at < bytes.length;) {
    if (at + 4 > bytes.length) throw new DecodeError("truncated region outcome", at);
    const n = readU32BE(bytes, at);
    if (at + 4 + n > bytes.length) throw new DecodeError("truncated region outcome", at);
    parts.push(bytes.slice(at + 4, at + 4 + n));
    at += 4 + n;
  }
  const kind = OUTCOME_KINDS[bytes[1] - 1];
  const part = (i: number) => {
    const p = parts[i];
    if (p === undefined) throw new DecodeError(`region outcome ${kind} lacks a part`, 2);
    return p;
  };
  switch (kind) {
    case "split":
      return { kind, left: decodeDescriptor(part(0)), right: decodeDescriptor(part(1)) };
    case "key-not-in-region":
      return { kind, key: part(0), region: decodeDescriptor(part(1)) };
    case "epoch-not-match":
      return { kind, current: decodeDescriptor(part(0)) };
    case "region-not-found":
      return { kind, regionId: readU64BE(part(0), 0) };
    case "invalid":
      return { kind, message: new TextDecoder().decode(part(0)) };
    case "txn":
      return { kind, reply: part(0) };
    case "merge-prepared":
    case "merged":
    case "merge-rolled-back":
      return { kind, region: decodeDescriptor(part(0)) };
    default:
      throw new DecodeError(`region outcome kind ${bytes[1]}`, 1);
  }
}

/** The outcome of an entry that is not a valid region command. */
export function malformed(err: unknown): RegionOutcome {
  return { kind: "invalid", message: `malformed region command: ${errorMessage(err)}` };
}
