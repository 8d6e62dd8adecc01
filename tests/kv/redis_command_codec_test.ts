import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Command, CommandSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, encodeCommand } from "../../src/kv/command_codec.ts";
import { decodeRedisCommand } from "../../src/kv/redis_command_decoder.ts";
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

function randomRequest(rng: Prng) {
  const commands = Array.from({ length: below(rng, 4) }, () => ({
    args: Array.from({ length: below(rng, 5) }, () => bytes(rng, 40)),
  }));
  const watches = Array.from({ length: below(rng, 3) }, () => ({
    db: below(rng, 16),
    key: bytes(rng, 20),
    revision: randomId(rng),
  }));
  return {
    db: below(rng, 3) === 0 ? 0 : below(rng, 16),
    commands,
    multi: below(rng, 2) === 1,
    watches,
  };
}

function randomCommand(rng: Prng): CommandInit {
  const ids = { clientId: randomId(rng), sequence: randomId(rng), ackedSequence: randomId(rng) };
  const proposedAtMs = randomId(rng);
  if (below(rng, 3) === 0) {
    return { ...ids, proposedAtMs, body: { case: "redis", value: randomRequest(rng) } };
  }
  const requests = Array.from({ length: below(rng, 6) }, () => randomRequest(rng));
  return { ...ids, proposedAtMs, body: { case: "redisBatch", value: { requests } } };
}

test("Redis entries: hand encoding is protobuf-es's bytes, hand decoding its objects", () => {
  const rng = new Sfc32(14);
  for (let i = 0; i < 500; i++) {
    const c = randomCommand(rng);
    const generic = toBinary(CommandSchema, create(CommandSchema, c));
    const mine = encodeCommand(c);
    assert.deepEqual(mine, generic);
    const decoded = decodeRedisCommand(generic);
    assert.ok(decoded !== undefined, "the plain encoding takes the fast path");
    assert.deepEqual(decoded, fromBinary(CommandSchema, generic));
  }
});

test("Redis entries: altered bytes decode as protobuf-es does, or fall back to it", () => {
  const rng = new Sfc32(15);
  let fast = 0, fallback = 0;
  for (let i = 0; i < 2000; i++) {
    const data = encodeCommand(randomCommand(rng)).slice();
    const flips = 1 + below(rng, 3);
    for (let f = 0; f < flips && data.length > 0; f++) {
      data[below(rng, data.length)] = below(rng, 256);
    }
    const cut = below(rng, 4) === 0 ? data.subarray(0, below(rng, data.length + 1)) : data;
    const mine = decodeRedisCommand(cut);
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

test("Redis entries: other bodies, repeated bodies and unknown fields take the generic path", () => {
  const put = encodeCommand({
    body: { case: "put", value: { key: new Uint8Array([1]), value: new Uint8Array([2]) } },
  });
  assert.equal(decodeRedisCommand(put), undefined);
  assert.equal(decodeRedisCommand(new Uint8Array(0)), undefined); // no body
  const one = encodeCommand({ body: { case: "redis", value: { db: 1, commands: [] } } });
  const twice = new Uint8Array([...one, ...one]); // protobuf merges a repeated message field
  assert.equal(decodeRedisCommand(twice), undefined);
  assert.deepEqual(fromBinary(CommandSchema, twice).body.case, "redis");
  const unknown = new Uint8Array([...one, 0x28, 0x01]); // field 5: not in Command
  assert.equal(decodeRedisCommand(unknown), undefined);
  const bigDb = new Uint8Array([0xaa, 0x01, 0x06, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10]);
  assert.equal(decodeRedisCommand(bigDb), undefined); // db past 2^32: protobuf-es decides
});
