import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Command, CommandSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, decodeCommand, encodeCommand } from "../../src/kv/command_codec.ts";
import { decodePutCommand } from "../../src/kv/put_command_decoder.ts";
import { type Prng, Sfc32 } from "../../src/util/prng.ts";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

const below = (rng: Prng, n: number): number => rng.nextU32() % n;

function bytes(rng: Prng, max: number): Uint8Array {
  const out = new Uint8Array(below(rng, max + 1));
  for (let i = 0; i < out.length; i++) out[i] = below(rng, 256);
  return out;
}

function randomId(rng: Prng): bigint {
  const pick = below(rng, 4);
  if (pick === 0) return 0n;
  if (pick === 1) return MAX;
  return BigInt(rng.nextU32()) * BigInt(1 + below(rng, 1 << 20));
}

/** Plain puts mostly (the hand encoder's), with expiries now and then (protobuf-es's). */
function randomPut(rng: Prng): CommandInit {
  const ids = { clientId: randomId(rng), sequence: randomId(rng), ackedSequence: randomId(rng) };
  const expiry = below(rng, 4) === 0
    ? [{ ttlMs: randomId(rng) }, { expireAtMs: randomId(rng) }, { keepTtl: true }][below(rng, 3)]
    : {};
  const value = {
    key: bytes(rng, 40),
    value: bytes(rng, 200),
    condition: below(rng, 3),
    returnPrevious: below(rng, 2) === 1,
    lease: randomId(rng),
    ...expiry,
  };
  return { ...ids, proposedAtMs: randomId(rng), body: { case: "put", value } };
}

test("put entries: hand decoding builds protobuf-es's objects", () => {
  const rng = new Sfc32(21);
  let valid = 500;
  for (let i = 0; i < 500; i++) {
    const c = randomPut(rng);
    const data = encodeCommand(c);
    assert.deepEqual(data, toBinary(CommandSchema, create(CommandSchema, c)));
    const decoded = decodePutCommand(data);
    assert.ok(decoded !== undefined, "the plain encoding takes the fast path");
    assert.deepEqual(decoded, fromBinary(CommandSchema, data));
    const checked = decodeCommand(data); // the command, or why apply refuses it
    if ("body" in checked) assert.deepEqual(checked, decoded);
    else valid--;
  }
  assert.ok(valid > 250, `${valid} of 500 random puts are valid commands`);
});

test("put entries: altered bytes decode as protobuf-es does, or fall back to it", () => {
  const rng = new Sfc32(22);
  let fast = 0, fallback = 0;
  for (let i = 0; i < 2000; i++) {
    const data = encodeCommand(randomPut(rng)).slice();
    const flips = 1 + below(rng, 3);
    for (let f = 0; f < flips && data.length > 0; f++) {
      data[below(rng, data.length)] = below(rng, 256);
    }
    const cut = below(rng, 4) === 0 ? data.subarray(0, below(rng, data.length + 1)) : data;
    const mine = decodePutCommand(cut);
    if (mine === undefined) {
      fallback++;
      continue;
    }
    fast++;
    let generic: Command;
    try {
      generic = fromBinary(CommandSchema, cut);
    } catch (err) {
      assert.fail(`the fast path took bytes protobuf-es refuses: ${err}`);
    }
    assert.deepEqual(mine, generic);
  }
  assert.ok(fast > 0 && fallback > 0, `fast ${fast}, fallback ${fallback}`);
});

test("put entries: other bodies, repeated fields and unknown fields take the generic path", () => {
  const key = new Uint8Array([1]);
  const one = encodeCommand({ body: { case: "put", value: { key, value: new Uint8Array([2]) } } });
  assert.ok(decodePutCommand(one) !== undefined);
  const del = encodeCommand({ body: { case: "delete", value: { key } } });
  assert.equal(decodePutCommand(del), undefined);
  assert.equal(decodePutCommand(new Uint8Array(0)), undefined); // no body
  const twice = new Uint8Array([...one, ...one]); // protobuf merges a repeated message field
  assert.equal(decodePutCommand(twice), undefined);
  assert.equal(fromBinary(CommandSchema, twice).body.case, "put");
  const unknown = new Uint8Array([...one, 0x28, 0x01]); // field 5: not in Command
  assert.equal(decodePutCommand(unknown), undefined);
  // A put whose key is given twice: protobuf-es keeps the last; left to it.
  const keyTwice = new Uint8Array([0x52, 0x06, 0x0a, 0x01, 0x01, 0x0a, 0x01, 0x02]);
  assert.equal(decodePutCommand(keyTwice), undefined);
  assert.deepEqual(fromBinary(CommandSchema, keyTwice).body.value, {
    ...create(CommandSchema, { body: { case: "put", value: { key: new Uint8Array([2]) } } }).body
      .value,
  });
  // return_previous = 2 is true to protobuf-es; the fast path leaves such bytes to it.
  const boolTwo = new Uint8Array([0x52, 0x02, 0x20, 0x02]);
  assert.equal(decodePutCommand(boolTwo), undefined);
  const generic = decodeCommand(boolTwo);
  assert.ok("body" in generic && generic.body.case === "put" && generic.body.value.returnPrevious);
});
