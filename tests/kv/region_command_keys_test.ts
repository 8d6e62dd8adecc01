/**
 * The keys a region checks at apply (src/kv/region_command_keys.ts): a Redis command's key
 * arguments and watched keys, in any database, so that a command routed before a split but
 * stamped with the new epoch is refused by the parent (key-not-in-region) rather than run against
 * its state for a key the child holds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { CommandSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { commandKeys } from "../../src/kv/region_command_keys.ts";
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
