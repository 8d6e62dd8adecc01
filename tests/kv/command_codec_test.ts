import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CommandSchema, PutCondition } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, decodeCommand, encodeCommand } from "../../src/kv/command_codec.ts";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

test("put commands are encoded by hand byte-identically to protobuf-es", () => {
  const keys = [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(200).fill(7)];
  const values = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array(70_000).fill(5)];
  const conditions = [PutCondition.UNSPECIFIED, PutCondition.IF_ABSENT, PutCondition.IF_PRESENT];
  const idSets = [[0n, 0n, 0n, 0n, 0n], [1n, 2n, 1n, 5n, 3n], [300n, 1n << 40n, 127n, 0n, 200n]];
  for (const ids of [...idSets, [MAX, MAX, MAX, MAX, MAX]]) {
    for (const key of keys) {
      for (const value of values) {
        for (const condition of conditions) {
          for (const returnPrevious of [false, true]) {
            const c: CommandInit = {
              clientId: ids[0],
              sequence: ids[1],
              ackedSequence: ids[2],
              proposedAtMs: ids[3],
              body: {
                case: "put",
                value: { key, value, condition, returnPrevious, lease: ids[4] },
              },
            };
            const generic = toBinary(CommandSchema, create(CommandSchema, c));
            assert.deepEqual(encodeCommand(c), generic);
          }
        }
      }
    }
  }
});

test("Redis commands are encoded by hand byte-identically to protobuf-es", () => {
  const args = [[], [new Uint8Array(0)], [
    new Uint8Array([83, 69, 84]),
    new Uint8Array(70_000).fill(9),
  ]];
  const watchSets = [[], [{ db: 0, key: new Uint8Array(0), revision: 0n }], [
    { db: 3, key: new Uint8Array([1, 0, 2]), revision: 1n << 40n },
    { db: 15, key: new Uint8Array(300).fill(4), revision: 7n },
  ]];
  for (
    const ids of [[0n, 0n, 0n, 0n], [5n, 1n << 33n, 3n, 1_700_000_000_000n], [MAX, MAX, MAX, MAX]]
  ) {
    for (const db of [0, 1, 15]) {
      for (const commands of [[], args.map((a) => ({ args: a }))]) {
        for (const watches of watchSets) {
          for (const multi of [false, true]) {
            const c: CommandInit = {
              clientId: ids[0],
              sequence: ids[1],
              ackedSequence: ids[2],
              proposedAtMs: ids[3],
              body: { case: "redis", value: { db, commands, multi, watches } },
            };
            const generic = toBinary(CommandSchema, create(CommandSchema, c));
            assert.deepEqual(encodeCommand(c), generic);
          }
        }
      }
    }
  }
});

test("other commands and ids past 2^53 take the generic encoder and round-trip", () => {
  const big: CommandInit = {
    clientId: MAX + 1n,
    sequence: 1n,
    body: { case: "put", value: { key: new Uint8Array([1]), value: new Uint8Array([2]) } },
  };
  const del: CommandInit = { body: { case: "delete", value: { key: new Uint8Array([9]) } } };
  for (const c of [big, del]) {
    const decoded = fromBinary(CommandSchema, encodeCommand(c));
    assert.equal(decoded.body.case, c.body?.case);
    assert.equal(decoded.clientId, c.clientId ?? 0n);
  }
  assert.ok("body" in decodeCommand(encodeCommand(del)));
  // The ids gateway refuses what a number would round (util/ids.ts).
  assert.deepEqual(decodeCommand(encodeCommand(big)), {
    tooLarge: false,
    message: `client id ${MAX + 1n} exceeds 2^53`,
  });
});
