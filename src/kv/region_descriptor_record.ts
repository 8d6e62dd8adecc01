/**
 * The region descriptor a region's Raft group has applied, kept region-locally
 * (docs/formats.md#region-local-keyspace) and written in the same engine batch as the apply
 * that changes it (a split; a membership change: src/server/node/region_members.ts):
 *
 *   0x10 regionId:u64be 0x00 "descriptor"  →  the descriptor (below)
 *
 * A store without the record for region 1 (created or migrated before splits existed) holds
 * region 1 over the whole keyspace at epoch {1, 1}. The replicas listed are the region's Raft
 * configuration after the last split or membership change it applied.
 *
 * Value: 0x01 (layout) id:u64be version:u64be confVer:u64be start:u32be-len+bytes
 * end:u32be-len+bytes replicas:u32be then per replica nodeId:u64be role:u8 (0 voter, 1 learner).
 */
import {
  checkDescriptor,
  initialRegion,
  type RegionDescriptor,
  type Replica,
} from "../region/descriptor.ts";
import { ByteReader, DecodeError, readU32BE, readU64BE } from "../util/coding.ts";
import { concatBytes, utf8 } from "../util/bytes.ts";
import { DEFAULT_REGION_ID, REGION_NAMESPACE, regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader } from "./write_set.ts";

const LAYOUT = 0x01;
/** The record's key after the region prefix: the Meta kind and the name. */
const SUFFIX = concatBytes([new Uint8Array([RegionKind.Meta]), utf8("descriptor")]);
/** A descriptor's replicas at most (a decode bound; a region has a handful). */
const REPLICAS_MAX = 64;
/** A range bound's bytes at most: a user key, see KV_KEY_BYTES_MAX (64 KiB) with margin. */
const BOUND_BYTES_MAX = 1 << 20;

export function descriptorKey(regionId: number): Uint8Array {
  return regionKeys(regionId).local(SUFFIX);
}

export function encodeDescriptor(d: RegionDescriptor): Uint8Array {
  const n = 1 + 24 + 8 + d.start.length + d.end.length + 4 + 9 * d.replicas.length;
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  let at = 0;
  const u64 = (x: number) => (v.setBigUint64(at, BigInt(x)), at += 8);
  const u32 = (x: number) => (v.setUint32(at, x), at += 4);
  const bytes = (b: Uint8Array) => (u32(b.length), out.set(b, at), at += b.length);
  out[at++] = LAYOUT;
  u64(d.id), u64(d.epoch.version), u64(d.epoch.confVer);
  bytes(d.start), bytes(d.end), u32(d.replicas.length);
  for (const r of d.replicas) u64(r.nodeId), out[at++] = r.role === "voter" ? 0 : 1;
  return out;
}

/** Decodes and checks a descriptor record; throws DecodeError when it is malformed. */
export function decodeDescriptor(value: Uint8Array): RegionDescriptor {
  const r = new ByteReader(value);
  if (r.u8() !== LAYOUT) throw new DecodeError("unknown region descriptor layout", 0);
  const u64 = () => readU64BE(r.bytesView(8), 0);
  const u32 = () => readU32BE(r.bytesView(4), 0);
  const bound = () => {
    const n = u32();
    if (n > BOUND_BYTES_MAX) throw new DecodeError(`range bound of ${n} bytes`, r.offset);
    return r.bytesView(n).slice();
  };
  const id = u64(), version = u64(), confVer = u64();
  const start = bound(), end = bound();
  const count = u32();
  if (count > REPLICAS_MAX) throw new DecodeError(`${count} replicas`, r.offset);
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = u64(), role = r.u8();
    if (role > 1) throw new DecodeError(`replica role ${role}`, r.offset);
    replicas.push({ nodeId, role: role === 0 ? "voter" : "learner" });
  }
  if (r.remaining !== 0) throw new DecodeError("trailing bytes in region descriptor", r.offset);
  const d = { id, start, end, epoch: { version, confVer }, replicas };
  try {
    checkDescriptor(d);
  } catch (err) {
    throw new DecodeError(`bad region descriptor: ${String(err)}`, 0);
  }
  return d;
}

/**
 * The descriptor region `id` has on this engine. Region 1 without a record is the whole
 * keyspace at epoch {1, 1} on `voters` (a store from before splits); another region without
 * one is not here (undefined).
 */
export function readDescriptor(
  db: EngineReader,
  id: number,
  voters: readonly number[] = [],
): RegionDescriptor | undefined {
  const value = db.get(descriptorKey(id));
  if (value !== undefined) return decodeDescriptor(value);
  if (id !== DEFAULT_REGION_ID) return undefined;
  return initialRegion(voters);
}

/**
 * The descriptors of every region with local records on this engine, by id (restart: the node
 * re-adds each to its driver). One seek per region: it jumps from one region's prefix to the
 * next's without reading their records. Region 1 is included when it has a local record.
 */
export function readAllDescriptors(
  db: EngineReader,
  voters: readonly number[] = [],
): RegionDescriptor[] {
  const out: RegionDescriptor[] = [];
  for (const id of regionIdsOnEngine(db)) {
    const d = readDescriptor(db, id, voters);
    if (d !== undefined) out.push(d);
  }
  return out;
}

/**
 * The ids of the regions with local records on this engine, in order: one seek per region,
 * jumping from one region's prefix to the next's. Each step reads afresh, so the caller may
 * write to the engine between steps.
 */
export function* regionIdsOnEngine(db: EngineReader): Generator<number> {
  const end = new Uint8Array([REGION_NAMESPACE + 1]);
  let from: Uint8Array = new Uint8Array([REGION_NAMESPACE]);
  for (;;) {
    let key: Uint8Array | undefined;
    for (const [k] of db.scanSync({ start: from, end })) {
      key = k;
      break;
    }
    if (key === undefined || key.length < 9) return;
    const id = readU64BE(key, 1);
    yield id;
    if (id >= Number.MAX_SAFE_INTEGER) return;
    from = regionKeys(id).end;
  }
}
