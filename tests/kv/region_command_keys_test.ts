/**
 * The keys a region checks at apply (src/kv/region_command_keys.ts): a Redis command's key
 * arguments and watched keys, in any database, so that a command routed before a split but
 * stamped with the new epoch is refused by the parent (key-not-in-region) rather than run against
 * its state for a key the child holds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { CommandSchema, CompareResult, CompareTarget } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { commandKeys } from "../../src/kv/region_command_keys.ts";
import { checkRouted } from "../../src/kv/routed_check.ts";
import { encodeCommand } from "../../src/kv/command_codec.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

function redis(db: number, commands: string[][], watches: string[] = []) {
  return create(CommandSchema, {
    body: {
      case: "redis",
      value: {
        db,
        commands: commands.map((c) => ({ args: c.map(utf8) })),
        watches: watches.map((k) => ({ db, key: utf8(k), revision: 1n })),
      },
    },
  });
}

const shown = (keys: Uint8Array[] | undefined) => keys?.map(fromUtf8);

test("region command keys: a Redis command's key arguments and watched keys, in any database", () => {
  assert.deepEqual(shown(commandKeys(redis(1, [["DEL", "r/4"]]))), ["r/4"]);
  assert.deepEqual(shown(commandKeys(redis(0, [["SET", "k", "v", "PX", "10"]]))), ["k"]);
  assert.deepEqual(shown(commandKeys(redis(0, [["MSET", "a", "1", "b", "2"]]))), ["a", "b"]);
  assert.deepEqual(
    shown(commandKeys(redis(0, [["INCR", "n"], ["GET", "m"]], ["w"]))),
    ["w", "n", "m"],
  );
  // No key argument: nothing to check (FLUSHDB is refused over several regions by the router).
  assert.deepEqual(shown(commandKeys(redis(0, [["PING"]]))), []);
  assert.deepEqual(shown(commandKeys(redis(0, [[]]))), []);
});

test("region command keys: a transaction's compared keys and each operation's key", () => {
  const txn = create(CommandSchema, {
    body: {
      case: "txn",
      value: {
        compare: [{ key: utf8("c") }],
        success: [{ op: { case: "put", value: { key: utf8("p"), value: utf8("v") } } }],
        failure: [
          { op: { case: "range", value: { key: utf8("r"), rangeEnd: utf8("s") } } },
          { op: { case: "deleteRange", value: { key: utf8("d") } } },
        ],
      },
    },
  });
  assert.deepEqual(shown(commandKeys(txn)), ["c", "p", "r", "d"]);
});

test("region command keys: a transaction's ranges must end in the region, not only start there", () => {
  const d = {
    id: 5,
    start: utf8("s/"),
    end: utf8("t/b/1"),
    epoch: { version: 4, confVer: 1 },
    replicas: [],
  };
  const txnWith = (op: "range" | "deleteRange", key: string, rangeEnd: Uint8Array) =>
    encodeCommand({
      body: {
        case: "txn",
        value: {
          compare: [{
            key: utf8("t/a/1"),
            target: CompareTarget.VALUE,
            result: CompareResult.EQUAL,
            operand: { case: "value", value: utf8("v") },
          }],
          success: [{ op: { case: "put", value: { key: utf8("t/a/1"), value: utf8("v") } } }],
          failure: [{ op: { case: op, value: { key: utf8(key), rangeEnd } } }],
        },
      },
    });
  const routed = (command: Uint8Array) =>
    checkRouted(d, false, { kind: "routed", regionId: 5, epoch: d.epoch, command }).refused;
  for (const op of ["range", "deleteRange"] as const) {
    // The prefix t/b/ is [t/b/, t/b0): past the region's end, into the next region's keys.
    const past = routed(txnWith(op, "t/b/", utf8("t/b0")));
    assert.equal(past?.kind, "key-not-in-region", `${op} past the end`);
    const open = routed(txnWith(op, "t/b/", new Uint8Array([0])));
    assert.equal(open?.kind, "key-not-in-region", `${op} to the keyspace's end`);
    assert.equal(routed(txnWith(op, "t/a/", utf8("t/b/1"))), undefined, `${op} up to the end`);
    assert.equal(routed(txnWith(op, "t/a/", new Uint8Array())), undefined, `${op} of one key`);
  }
  // A region without an end holds every range starting in it.
  const last = { ...d, end: new Uint8Array() };
  const command = txnWith("deleteRange", "t/b/", new Uint8Array([0]));
  const open = checkRouted(last, false, { kind: "routed", regionId: 5, epoch: d.epoch, command });
  assert.equal(open.refused, undefined);
});
