/**
 * A client request written by hand (see client_hot_codec.ts): a put, get or delete body, from the
 * client's init object (numbers or bigints) or a message. Sized first, then written in one buffer
 * with its frame's length prefix; undefined for anything it does not write, and protobuf-es
 * writes that.
 */
import { bytesFieldSize, ProtoWriter, uintFieldSize } from "../util/proto_writer.ts";
import { varintLength } from "../util/coding.ts";

type Init = Record<string, unknown>;

const FRAME_REQUEST_TAG = 2 << 3 | 2; // Frame.request
const U32_MAX = 0xffff_ffff;
const I32_MAX = 0x7fff_ffff;
/** Requests at least this large are left to frame_codec.ts's parts (no copy of the value). */
const HOT_FRAME_BYTES_MAX = 64 * 1024;

const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** A 64-bit field's value as an init object may give it, as a number; -1 when it cannot be. */
function u64Of(v: unknown): number {
  if (typeof v === "bigint") return v >= 0n && v <= SAFE_BIG ? Number(v) : -1;
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : -1;
  return v === undefined || v === null ? 0 : -1;
}

/** A 32-bit unsigned (or a non-negative enum) field's value, or -1. */
function u32Of(v: unknown, max: number): number {
  if (v === undefined || v === null) return 0;
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? v : -1;
}

/** An ASCII string's length, or -1 (a string with other characters goes to protobuf-es). */
function asciiLength(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== "string") return -1;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) return -1;
  return v.length;
}

/** The scalar fields of a request, checked and made numbers once for sizing and writing. */
interface Plan {
  requestId: number;
  clientId: number;
  sequence: number;
  timeoutMs: number;
  ackedSequence: number;
  adminToken: string;
  authToken: string;
  route: { regionId: number; epoch: { version: number; confVer: number } | undefined } | undefined;
  routeSize: number;
  epochSize: number;
  kind: "put" | "get" | "delete";
  body: Init;
  /** The body's numbers in field order (put: condition, lease, ttlMs, expireAtMs). */
  n: number[];
  bodySize: number;
  size: number;
}

function isFlag(v: unknown): boolean {
  return v === undefined || v === null || typeof v === "boolean";
}

function bytesOf(v: unknown): Uint8Array | undefined | null {
  if (v === undefined || v === null) return undefined;
  return v instanceof Uint8Array ? v : null; // null: not writable here
}

function routeOf(v: unknown): Plan["route"] | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object") return null;
  const r = v as Init;
  const regionId = u64Of(r.regionId);
  let epoch: { version: number; confVer: number } | undefined;
  if (r.epoch !== undefined && r.epoch !== null) {
    const e = r.epoch as Init;
    const version = u64Of(e.version), confVer = u64Of(e.confVer);
    if (version < 0 || confVer < 0) return null;
    epoch = { version, confVer };
  }
  return regionId < 0 ? null : { regionId, epoch };
}

/** Sizes the body; false when it holds something not written here. */
function planBody(p: Plan): boolean {
  const b = p.body;
  const key = bytesOf(b.key);
  if (key === null) return false;
  let size = bytesFieldSize(1, key?.length ?? 0);
  if (p.kind === "delete") {
    p.bodySize = size;
    return true;
  }
  if (p.kind === "get") {
    const consistency = u32Of(b.consistency, I32_MAX), revision = u64Of(b.revision);
    if (consistency < 0 || revision < 0) return false;
    p.n = [consistency, revision];
    p.bodySize = size + uintFieldSize(2, consistency) + uintFieldSize(3, revision);
    return true;
  }
  const value = bytesOf(b.value);
  if (value === null) return false;
  const condition = u32Of(b.condition, I32_MAX);
  const lease = u64Of(b.lease), ttlMs = u64Of(b.ttlMs), expireAtMs = u64Of(b.expireAtMs);
  if (!isFlag(b.returnPrevious) || !isFlag(b.keepTtl)) return false;
  if (condition < 0 || lease < 0 || ttlMs < 0 || expireAtMs < 0) return false;
  p.n = [condition, lease, ttlMs, expireAtMs];
  size += bytesFieldSize(2, value?.length ?? 0) + uintFieldSize(3, condition);
  size += uintFieldSize(5, lease);
  size += uintFieldSize(6, ttlMs) + uintFieldSize(7, expireAtMs);
  size += (b.returnPrevious === true ? 2 : 0) + (b.keepTtl === true ? 2 : 0);
  p.bodySize = size;
  return true;
}

function plan(init: Init): Plan | undefined {
  const c = init.body as { case?: unknown; value?: unknown } | undefined;
  const kind = c?.case;
  if (kind !== "put" && kind !== "get" && kind !== "delete") return undefined;
  if (typeof c?.value !== "object" || c.value === null) return undefined;
  const route = routeOf(init.route);
  if (route === null) return undefined;
  const p: Plan = {
    requestId: u64Of(init.requestId),
    clientId: u64Of(init.clientId),
    sequence: u64Of(init.sequence),
    timeoutMs: u32Of(init.timeoutMs, U32_MAX),
    ackedSequence: u64Of(init.ackedSequence),
    adminToken: (init.adminToken ?? "") as string,
    authToken: (init.authToken ?? "") as string,
    route,
    routeSize: 0,
    epochSize: 0,
    kind,
    body: c.value as Init,
    n: [],
    bodySize: 0,
    size: 0,
  };
  const adminLength = asciiLength(init.adminToken), authLength = asciiLength(init.authToken);
  const bad = p.requestId < 0 || p.clientId < 0 || p.sequence < 0 || p.timeoutMs < 0 ||
    p.ackedSequence < 0 || adminLength < 0 || authLength < 0;
  if (bad || !planBody(p)) return undefined;
  let size = uintFieldSize(1, p.requestId) + uintFieldSize(2, p.clientId) +
    uintFieldSize(3, p.sequence) + uintFieldSize(4, p.timeoutMs) +
    uintFieldSize(5, p.ackedSequence);
  size += bytesFieldSize(6, adminLength) + bytesFieldSize(7, authLength);
  if (route !== undefined) {
    const e = route.epoch;
    p.epochSize = e === undefined ? 0 : uintFieldSize(1, e.version) + uintFieldSize(2, e.confVer);
    p.routeSize = uintFieldSize(1, route.regionId) +
      (e === undefined ? 0 : 1 + varintLength(p.epochSize) + p.epochSize);
    size += 1 + varintLength(p.routeSize) + p.routeSize;
  }
  p.size = size + 1 + varintLength(p.bodySize) + p.bodySize;
  return p;
}

function writeBody(w: ProtoWriter, p: Plan): void {
  const b = p.body;
  w.open(p.kind === "put" ? 10 : p.kind === "get" ? 11 : 12, p.bodySize);
  w.bytes(1, b.key as Uint8Array | undefined);
  if (p.kind === "get") {
    w.uint(2, p.n[0]);
    w.uint(3, p.n[1]);
  } else if (p.kind === "put") {
    w.bytes(2, b.value as Uint8Array | undefined);
    w.uint(3, p.n[0]);
    w.uint(4, b.returnPrevious === true ? 1 : 0);
    w.uint(5, p.n[1]);
    w.uint(6, p.n[2]);
    w.uint(7, p.n[3]);
    w.uint(8, b.keepTtl === true ? 1 : 0);
  }
}

/**
 * The length-prefixed frame of a request (an init object or a message) whose body is a put, get
 * or delete, or undefined when it holds anything else.
 */
export function encodeHotRequestFrame(init: Init): Uint8Array | undefined {
  const p = plan(init);
  if (p === undefined || p.size >= HOT_FRAME_BYTES_MAX) return undefined;
  const payload = 1 + varintLength(p.size) + p.size;
  const w = new ProtoWriter(new Uint8Array(4 + payload));
  const buf = w.buf; // the frame's big-endian length prefix (util/frame.ts)
  buf[0] = payload >>> 24;
  buf[1] = (payload >>> 16) & 0xff;
  buf[2] = (payload >>> 8) & 0xff;
  buf[3] = payload & 0xff;
  w.pos = 4;
  w.buf[w.pos++] = FRAME_REQUEST_TAG;
  w.varint(p.size);
  w.uint(1, p.requestId);
  w.uint(2, p.clientId);
  w.uint(3, p.sequence);
  w.uint(4, p.timeoutMs);
  w.uint(5, p.ackedSequence);
  w.ascii(6, p.adminToken);
  w.ascii(7, p.authToken);
  const route = p.route;
  if (route !== undefined) {
    w.open(8, p.routeSize);
    w.uint(1, route.regionId);
    if (route.epoch !== undefined) {
      w.open(2, p.epochSize);
      w.uint(1, route.epoch.version);
      w.uint(2, route.epoch.confVer);
    }
  }
  writeBody(w, p);
  return w.buf;
}
