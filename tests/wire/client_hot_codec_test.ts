/**
 * The client port's frames read and written by hand (src/wire/client_hot_codec.ts): each spec
 * matches the generated schema, and on a seeded mix of puts, gets, deletes and their answers the
 * hand path gives exactly what protobuf-es gives, reading and writing; anything outside the
 * canonical form it takes is left to protobuf-es, whose answer (or error) decodeWireFrame returns.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  create,
  type DescField,
  type DescMessage,
  fromBinary,
  ScalarType,
} from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  ClientResponseSchema,
  DeleteRequestSchema,
  FrameSchema,
  GetRequestSchema,
  GetResponseSchema,
  PutRequestSchema,
  RegionEpochSchema,
  RegionRouteSchema,
  WriteResponseSchema,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import {
  CLIENT_REQUEST,
  CLIENT_RESPONSE,
  type ScalarKind,
  type Spec,
} from "../../src/wire/client_hot_specs.ts";
import {
  decodeHotRequestFrame,
  decodeHotResponseFrame,
  encodeHotRequestFrame,
} from "../../src/wire/client_hot_codec.ts";
import { decodeWireFrame, encodeWireFrame, WireError } from "../../src/wire/frame_codec.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";

const SCHEMAS = new Map<string, DescMessage>(
  [
    ClientRequestSchema,
    ClientResponseSchema,
    PutRequestSchema,
    GetRequestSchema,
    DeleteRequestSchema,
    RegionRouteSchema,
    RegionEpochSchema,
    WriteResponseSchema,
    GetResponseSchema,
  ].map((s) => [s.typeName, s]),
);

function kindOf(f: DescField): ScalarKind | "message" | undefined {
  if (f.fieldKind === "enum") return "enum";
  if (f.fieldKind === "message") return "message";
  if (f.fieldKind !== "scalar") return undefined;
  switch (f.scalar) {
    case ScalarType.UINT64:
    case ScalarType.INT64:
      return "u64";
    case ScalarType.UINT32:
      return "u32";
    case ScalarType.BOOL:
      return "bool";
    case ScalarType.BYTES:
      return "bytes";
    case ScalarType.STRING:
      return "string";
  }
  return undefined;
}

/** Every spec, reached from the two roots. */
function allSpecs(): Spec[] {
  const out: Spec[] = [];
  const visit = (s: Spec) => {
    if (out.includes(s)) return;
    out.push(s);
    for (const f of s.fields) if ("spec" in f) visit(f.spec);
  };
  visit(CLIENT_REQUEST);
  visit(CLIENT_RESPONSE);
  return out;
}

test("client hot specs: every field of the schema, numbered, named and typed as generated", () => {
  for (const spec of allSpecs()) {
    const schema = SCHEMAS.get(spec.typeName);
    assert.ok(schema !== undefined, spec.typeName);
    assert.deepEqual(spec.make(), create(schema), `${spec.typeName} defaults`);
    for (const f of schema.fields) {
      const mine = spec.fields.find((m) => m.no === f.number);
      if (f.oneof !== undefined) {
        // A oneof member the spec lists must be this one; the others go the generic way.
        if (mine === undefined) continue;
        assert.equal(mine.kind, "oneof", `${spec.typeName}.${f.localName}`);
        assert.equal(mine.name, f.oneof.localName);
        if (mine.kind === "oneof") {
          assert.equal(mine.case, f.localName);
          assert.equal(mine.spec.typeName, f.message?.typeName);
        }
        continue;
      }
      // ClientResponse.error is left out on purpose: an error frame takes protobuf-es.
      if (spec === CLIENT_RESPONSE && f.localName === "error") {
        assert.equal(mine, undefined);
        continue;
      }
      assert.ok(mine !== undefined, `${spec.typeName}.${f.localName} is missing from the spec`);
      assert.equal(mine.name, f.localName);
      assert.equal(mine.kind, kindOf(f), `${spec.typeName}.${f.localName} kind`);
      if (mine.kind === "message") assert.equal(mine.spec.typeName, f.message?.typeName);
    }
    const numbers = spec.fields.map((f) => f.no);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `${spec.typeName} in order`);
  }
});

const u64 = (p: Prng) => p.chance(0.3) ? 0n : BigInt(p.int(p.chance(0.5) ? 200 : 2 ** 31)) * 3n;
const bytes = (p: Prng, max: number) => p.fill(new Uint8Array(p.int(max + 1)));
const ascii = (p: Prng) =>
  p.chance(0.5) ? "" : Array.from({ length: p.int(20) + 1 }, () => "aZ09._-"[p.int(7)]).join("");

function randomRequest(p: Prng) {
  const kind = p.int(3);
  const body = kind === 0
    ? {
      case: "put" as const,
      value: {
        key: bytes(p, 40),
        value: bytes(p, p.chance(0.1) ? 5000 : 120),
        condition: p.int(3),
        returnPrevious: p.chance(0.2),
        lease: u64(p),
        ttlMs: u64(p),
        expireAtMs: u64(p),
        keepTtl: p.chance(0.2),
      },
    }
    : kind === 1
    ? {
      case: "get" as const,
      value: { key: bytes(p, 40), consistency: p.int(4), revision: u64(p) },
    }
    : { case: "delete" as const, value: { key: bytes(p, 40) } };
  const route = p.chance(0.5) ? undefined : {
    regionId: u64(p),
    epoch: p.chance(0.3) ? undefined : { version: u64(p), confVer: u64(p) },
  };
  return create(ClientRequestSchema, {
    requestId: u64(p),
    clientId: u64(p),
    sequence: u64(p),
    timeoutMs: p.chance(0.2) ? 0 : p.int(2 ** 32),
    ackedSequence: u64(p),
    adminToken: ascii(p),
    authToken: ascii(p),
    body,
    route,
  });
}

function randomResponse(p: Prng) {
  const body = p.chance(0.5)
    ? {
      case: "write" as const,
      value: {
        index: u64(p),
        existed: p.chance(0.5),
        applied: p.chance(0.5),
        previousValue: bytes(p, p.chance(0.3) ? 100 : 0),
        counter: u64(p),
        deleted: p.int(1000),
        revision: u64(p),
      },
    }
    : {
      case: "get" as const,
      value: {
        found: p.chance(0.7),
        value: bytes(p, 200),
        modRevision: u64(p),
        createRevision: u64(p),
        version: u64(p),
        lease: u64(p),
        revision: u64(p),
        expireAtMs: u64(p),
      },
    };
  return create(ClientResponseSchema, { requestId: u64(p), body });
}

const payloadOf = (framed: Uint8Array) => framed.subarray(4);

test("client hot codec: requests read and written exactly as protobuf-es does", () => {
  const p = createPrng(14);
  for (let i = 0; i < 2000; i++) {
    const request = randomRequest(p);
    const framed = encodeWireFrame({ case: "request", value: request });
    const hot = decodeHotRequestFrame(payloadOf(framed));
    assert.ok(hot !== undefined, `request ${i} was not taken`);
    assert.deepEqual(hot, fromBinary(FrameSchema, payloadOf(framed)), `request ${i}`);
    // Written from the message itself, and from the client's init object (plain numbers).
    assert.deepEqual(encodeHotRequestFrame(request), framed, `request ${i} written`);
    const init = {
      ...request,
      requestId: Number(request.requestId),
      clientId: Number(request.clientId),
      body: { case: request.body.case, value: { ...request.body.value } },
    };
    assert.deepEqual(encodeHotRequestFrame(init), framed, `request ${i} from an init object`);
  }
});

test("client hot codec: write and get answers read exactly as protobuf-es does", () => {
  const p = createPrng(15);
  for (let i = 0; i < 2000; i++) {
    const framed = encodeWireFrame({ case: "response", value: randomResponse(p) });
    const hot = decodeHotResponseFrame(payloadOf(framed));
    assert.ok(hot !== undefined, `response ${i} was not taken`);
    assert.deepEqual(hot, fromBinary(FrameSchema, payloadOf(framed)), `response ${i}`);
  }
});

/** Payloads the hand path leaves alone; decodeWireFrame must answer them as protobuf-es does. */
function outsideTheHotPath(): [string, Uint8Array][] {
  const p = createPrng(16);
  const put = randomRequest(p);
  put.body = { case: "put", value: create(PutRequestSchema, { key: Uint8Array.of(1) }) };
  const payload = (body: Parameters<typeof encodeWireFrame>[0]) => payloadOf(encodeWireFrame(body));
  const base = payload({ case: "request", value: put });
  const withTrailing = (extra: number[]) => {
    // One more field inside ClientRequest: rewrite the frame's length prefix.
    const inner = base.subarray(2 + (base[1] >= 0x80 ? 1 : 0));
    const body = Uint8Array.of(...inner, ...extra);
    return Uint8Array.of(0x12, ...varint(body.length), ...body);
  };
  return [
    [
      "a scan body",
      payload({
        case: "request",
        value: create(ClientRequestSchema, { body: { case: "scan", value: {} } }),
      }),
    ],
    ["an unknown field", withTrailing([0x98, 0x03, 0x01])], // field 51, varint 1
    ["a repeated field", withTrailing([0x08, 0x07])], // request_id again
    ["a second body", withTrailing([0x62, 0x00])], // delete after put
    ["a non-ASCII token", withTrailing([0x3a, 0x02, 0xc3, 0xa9])], // auth_token "é"
    [
      "a number past 2^53",
      withTrailing([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ],
    [
      "an error answer",
      payload({
        case: "response",
        value: create(ClientResponseSchema, { requestId: 3n, error: { code: 3, message: "no" } }),
      }),
    ],
    [
      "a negative counter",
      payload({
        case: "response",
        value: create(ClientResponseSchema, { body: { case: "write", value: { counter: -5n } } }),
      }),
    ],
    ["a truncated request", base.subarray(0, base.length - 1)],
  ];
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

test("client hot codec: what it does not take is left to protobuf-es, answers and errors alike", () => {
  for (const [what, payload] of outsideTheHotPath()) {
    assert.equal(decodeHotRequestFrame(payload), undefined, what);
    assert.equal(decodeHotResponseFrame(payload), undefined, what);
    let expected: unknown;
    try {
      expected = fromBinary(FrameSchema, payload);
    } catch {
      assert.throws(() => decodeWireFrame(payload), WireError, what);
      continue;
    }
    assert.deepEqual(decodeWireFrame(payload), expected, what);
  }
  // A request the hand writer cannot write whole (a scan; a value past its frame size; a
  // non-ASCII token) comes back undefined, for protobuf-es to write.
  const scan = { requestId: 1, body: { case: "scan", value: {} } };
  assert.equal(encodeHotRequestFrame(scan), undefined);
  const big = {
    body: { case: "put", value: { key: Uint8Array.of(1), value: new Uint8Array(70_000) } },
  };
  assert.equal(encodeHotRequestFrame(big), undefined);
  assert.equal(
    encodeHotRequestFrame({ authToken: "é", body: { case: "get", value: {} } }),
    undefined,
  );
  assert.equal(encodeHotRequestFrame({ requestId: -1 }), undefined);
});
