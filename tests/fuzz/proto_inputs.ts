/**
 * Fuzz input for the protobuf port: random bytes, valid frames of every body
 * (requests of each kind, Hello, Raft, responses sent the wrong way) and
 * structure-aware damage to them: bit flips and truncation, length prefixes
 * set to 0 / huge / "negative" / off by one, a body's field number changed to
 * another oneof case, frames merged (duplicated fields), unknown and nested
 * garbage fields, over-long varints and length fields that lie.
 */
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { ClientRequestSchema, type Frame, FrameSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { FRAME_BYTES_MAX } from "../../src/limits.ts";
import type { Prng } from "../../src/util/prng.ts";
import { concatBytes, utf8 } from "../../src/util/bytes.ts";
import { encodeFrame } from "../../src/util/frame.ts";
import { mutateBytes, pick, randomBytes } from "./mutate.ts";

type RequestBody = MessageInitShape<typeof ClientRequestSchema>["body"];

const KEYS = ["k/0", "k/1", "ttl", "leased", "", "\u0000\xff", "k/", "missing"];

function key(prng: Prng): Uint8Array {
  return prng.chance(0.8) ? utf8(pick(prng, KEYS)) : randomBytes(prng, 40);
}

/** An unsigned 64-bit field value: small, boundary, or huge. */
function u64(prng: Prng): bigint {
  return pick(prng, [0n, 1n, 2n, 7n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 64n - 1n]);
}

function u32(prng: Prng): number {
  return pick(prng, [0, 1, 10, 1000, 65_536, 2 ** 31, 2 ** 32 - 1]);
}

/** A request body of every kind the port knows, reads and writes. */
function requestBody(prng: Prng): RequestBody {
  const bodies: (() => RequestBody)[] = [
    () => ({
      case: "get",
      value: { key: key(prng), consistency: prng.int(5), revision: u64(prng) },
    }),
    () => ({
      case: "scan",
      value: {
        prefix: key(prng),
        start: key(prng),
        end: key(prng),
        limit: u32(prng),
        offset: u32(prng),
        cursor: randomBytes(prng, 20),
        reverse: prng.chance(0.5),
        revision: u64(prng),
        consistency: prng.int(5),
      },
    }),
    () => ({ case: "status", value: {} }),
    () => ({
      case: "watchCreate",
      value: { key: key(prng), rangeEnd: key(prng), startRevision: u64(prng), prevKv: true },
    }),
    () => ({ case: "watchCancel", value: { watchId: u64(prng) } }),
    () => ({ case: "leaseTimeToLive", value: { id: u64(prng), keys: prng.chance(0.5) } }),
    () => ({ case: "leaseList", value: {} }),
    () => ({
      case: "put",
      value: { key: key(prng), value: randomBytes(prng, 30), ttlMs: u64(prng) },
    }),
    () => ({ case: "delete", value: { key: key(prng) } }),
    () => ({ case: "increment", value: { key: key(prng), delta: BigInt(prng.range(-9, 9)) } }),
    () => ({ case: "compact", value: { revision: u64(prng) } }),
    () => ({ case: "memberAdd", value: { id: u64(prng), address: "127.0.0.1:1" } }),
    () => ({ case: "memberRemove", value: { id: u64(prng) } }),
    () => ({ case: "transferLeader", value: { id: u64(prng) } }),
    () => ({ case: "snapshot", value: {} }),
    () => ({ case: "leaseGrant", value: { ttlSeconds: u32(prng), id: u64(prng) } }),
    () => ({ case: "leaseRevoke", value: { id: u64(prng) } }),
    () => ({
      case: "redis",
      value: { db: prng.int(20), commands: [{ args: [utf8("SET"), key(prng), utf8("v")] }] },
    }),
    () => ({
      case: "txn",
      value: {
        compare: [{ key: key(prng) }],
        success: [{ op: { case: "range", value: { key: key(prng) } } }],
      },
    }),
  ];
  return pick(prng, bodies)();
}

/** A valid Frame of any kind. */
export function validFrame(prng: Prng, adminToken = ""): Frame {
  const kind = prng.int(10);
  if (kind === 0) {
    return create(FrameSchema, {
      body: {
        case: "hello",
        value: { nodeId: prng.chance(0.5) ? 0n : u64(prng), clusterToken: "x", address: "a:1" },
      },
    });
  }
  if (kind === 1) {
    return create(FrameSchema, {
      body: { case: "raft", value: { type: prng.int(30), term: u64(prng), index: u64(prng) } },
    });
  }
  if (kind === 2) {
    return create(FrameSchema, {
      body: { case: "response", value: { requestId: u64(prng), error: { code: prng.int(20) } } },
    });
  }
  const body = kind === 3 ? undefined : requestBody(prng);
  return create(FrameSchema, {
    body: {
      case: "request",
      value: { requestId: u64(prng), timeoutMs: u32(prng), adminToken, body },
    },
  });
}

function varint(n: bigint): Uint8Array {
  const out: number[] = [];
  let v = n;
  do {
    out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
    v >>= 7n;
  } while (v > 0n);
  return new Uint8Array(out);
}

/** A protobuf field with a random tag and wire type, its content garbage or lying. */
function garbageField(prng: Prng): Uint8Array {
  const field = BigInt(pick(prng, [1, 2, 3, 4, 5, 15, 16, 2 ** 29 - 1, prng.range(1, 40)]));
  const wire = BigInt(prng.int(8));
  const tag = varint((field << 3n) | wire);
  if (wire === 2n) {
    const body = randomBytes(prng, 24);
    const len = prng.chance(0.5) ? BigInt(body.length) : u64(prng);
    return concatBytes([tag, varint(len), body]);
  }
  if (prng.chance(0.3)) return concatBytes([tag, new Uint8Array(11).fill(0xff)]); // over-long varint
  return concatBytes([tag, randomBytes(prng, 9)]);
}

/** Structure-aware damage to an encoded Frame payload (without its length prefix). */
function mutatePayload(prng: Prng, payload: Uint8Array, other: Uint8Array): Uint8Array {
  switch (prng.int(5)) {
    case 0: // the request's body field renumbered to another oneof case: the wrong message
      return retagRequestBody(prng, payload);
    case 1: // two frames merged: every field duplicated, the last oneof wins
      return concatBytes(prng.chance(0.5) ? [payload, other] : [payload, payload]);
    case 2: // unknown or garbage fields, at the top level or inside the request
      return concatBytes([payload, garbageField(prng)]);
    case 3: // the first length-delimited field's length made to lie
      return lieAboutLength(prng, payload);
    default:
      return mutateBytes(prng, payload);
  }
}

/** Frame field 2 (request) holds body fields 10..32: renumber the first one found. */
function retagRequestBody(prng: Prng, payload: Uint8Array): Uint8Array {
  const out = payload.slice();
  for (let i = 2; i < out.length - 1; i++) {
    const field = out[i] >> 3;
    if (field >= 10 && field <= 15 && (out[i] & 7) === 2) {
      out[i] = (pick(prng, [10, 11, 12, 13, 14, 15]) << 3) | 2;
      return out;
    }
  }
  return mutateBytes(prng, out);
}

function lieAboutLength(prng: Prng, payload: Uint8Array): Uint8Array {
  if (payload.length < 2 || (payload[0] & 7) !== 2) return mutateBytes(prng, payload);
  // payload[1] is the first field's (one-byte) length when below 128.
  const len = pick(prng, [0n, 1n, 127n, 2n ** 31n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]);
  return concatBytes([payload.subarray(0, 1), varint(len), payload.subarray(2)]);
}

/** A length prefix that may lie: zero, huge, "negative" (high bit set), off by one. */
function prefixFor(prng: Prng, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4);
  const lengths = [
    0,
    payload.length - 1,
    payload.length + 1,
    0x8000_0000,
    0xffff_ffff,
    FRAME_BYTES_MAX,
    FRAME_BYTES_MAX + 1,
    prng.nextU32(),
  ];
  new DataView(out.buffer).setUint32(0, Math.max(0, pick(prng, lengths)), false);
  return out;
}

/** One fuzz input for the port: one to three frames, valid, damaged or random. */
export function protoInput(prng: Prng, adminToken = ""): { label: string; bytes: Uint8Array } {
  if (prng.chance(0.1)) return { label: "random bytes", bytes: randomBytes(prng, 200) };
  const frames: Uint8Array[] = [];
  const labels: string[] = [];
  const n = prng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const frame = validFrame(prng, adminToken);
    const payload = toBinary(FrameSchema, frame);
    const how = prng.int(6);
    labels.push(`${frame.body.case}/${describeBody(frame)}:${how}`);
    if (how === 0) frames.push(encodeFrame(payload));
    else if (how === 1) frames.push(concatBytes([prefixFor(prng, payload), payload]));
    else if (how === 2) frames.push(mutateBytes(prng, encodeFrame(payload)));
    else {
      const other = toBinary(FrameSchema, validFrame(prng, adminToken));
      frames.push(encodeFrame(mutatePayload(prng, payload, other)));
    }
  }
  return { label: labels.join(" "), bytes: concatBytes(frames) };
}

function describeBody(frame: Frame): string {
  return frame.body.case === "request" ? String(frame.body.value.body.case) : "-";
}
