/**
 * Field codecs shared by the placement group's commands (placement_commands.ts) and its image
 * (placement_image.ts): bounded strings, id lists, region descriptors. Writers take values that
 * were checked already; readers take untrusted bytes and throw `DecodeError` on anything
 * truncated, oversize or malformed (an invalid UTF-8 string, an unknown replica role).
 */
import type { RegionDescriptor, Replica } from "../region/descriptor.ts";
import { KEY_BYTES_MAX } from "../limits.ts";
import { PLACEMENT_REPLICAS_MAX } from "../limits_ops.ts";
import { utf8 } from "../util/bytes.ts";
import { type ByteReader, type ByteWriter, DecodeError } from "../util/coding.ts";
import { InvalidArgumentError } from "../util/errors.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

const ROLE_VOTER = 0;
const ROLE_LEARNER = 1;

/** Throws InvalidArgumentError unless `n` is a safe integer ≥ `min` (0 unless told). */
export function checkCount(n: number, what: string, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`${what} must be an integer ≥ ${min}, not ${n}`);
  }
}

/** Throws InvalidArgumentError when `s` is longer than `maxBytes` in UTF-8. */
export function checkString(s: string, maxBytes: number, what: string): void {
  const n = utf8(s).length;
  if (n > maxBytes) throw new InvalidArgumentError(`${what} is ${n} bytes; at most ${maxBytes}`);
}

export function writeString(w: ByteWriter, s: string): void {
  w.lengthPrefixed(utf8(s));
}

export function readString(r: ByteReader, maxBytes: number, what: string): string {
  const at = r.offset;
  const bytes = r.lengthPrefixed(maxBytes);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new DecodeError(`${what} is not valid UTF-8`, at);
  }
}

/** A varint count checked against `max` before anything is read or allocated for it. */
export function readCount(r: ByteReader, max: number, what: string): number {
  const at = r.offset;
  const n = r.varint();
  if (n > max) throw new DecodeError(`${n} ${what}; at most ${max}`, at);
  return n;
}

export function writeIds(w: ByteWriter, ids: readonly number[]): void {
  w.varint(ids.length);
  for (const id of ids) w.varint(id);
}

export function readIds(r: ByteReader, max: number, what: string): number[] {
  const n = readCount(r, max, what);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.varint());
  return out;
}

/** A boolean as one byte, 0 or 1 (anything else is refused). */
export function readFlag(r: ByteReader, what: string): boolean {
  const at = r.offset;
  const b = r.u8();
  if (b > 1) throw new DecodeError(`${what} flag is ${b}, not 0 or 1`, at);
  return b === 1;
}

/** Throws InvalidArgumentError unless the descriptor is well formed and within the bounds. */
export function checkDescriptorBounds(d: RegionDescriptor): void {
  if (d.start.length > KEY_BYTES_MAX || d.end.length > KEY_BYTES_MAX) {
    throw new InvalidArgumentError(`region ${d.id}: a boundary key is over ${KEY_BYTES_MAX} bytes`);
  }
  if (d.replicas.length > PLACEMENT_REPLICAS_MAX) {
    throw new InvalidArgumentError(`region ${d.id}: over ${PLACEMENT_REPLICAS_MAX} replicas`);
  }
}

export function writeDescriptor(w: ByteWriter, d: RegionDescriptor): void {
  w.varint(d.id).lengthPrefixed(d.start).lengthPrefixed(d.end);
  w.varint(d.epoch.version).varint(d.epoch.confVer).varint(d.replicas.length);
  for (const p of d.replicas) w.varint(p.nodeId).u8(p.role === "voter" ? ROLE_VOTER : ROLE_LEARNER);
}

/** A descriptor's fields (copied out of the source bytes); the caller checks it is well formed. */
export function readDescriptor(r: ByteReader): RegionDescriptor {
  const id = r.varint();
  const start = r.lengthPrefixed(KEY_BYTES_MAX).slice();
  const end = r.lengthPrefixed(KEY_BYTES_MAX).slice();
  const version = r.varint();
  const confVer = r.varint();
  const n = readCount(r, PLACEMENT_REPLICAS_MAX, "replicas");
  const replicas: Replica[] = [];
  for (let i = 0; i < n; i++) {
    const nodeId = r.varint();
    const at = r.offset;
    const role = r.u8();
    if (role !== ROLE_VOTER && role !== ROLE_LEARNER) {
      throw new DecodeError(`unknown replica role ${role}`, at);
    }
    replicas.push({ nodeId, role: role === ROLE_VOTER ? "voter" : "learner" });
  }
  return { id, start, end, epoch: { version, confVer }, replicas };
}
