import { test } from "node:test";
import assert from "node:assert/strict";
import { lowerName, upperName } from "../../../src/kv/redis/command_name.ts";
import { toBytes } from "../../../src/util/bytes.ts";

test("command names fold case as String's toUpperCase/toLowerCase do, ASCII or not", () => {
  const names = ["get", "GeT", "SET", "client", "x-y_z@1[]", "", "ß-straße", "é", "a".repeat(40)];
  for (const name of names) {
    assert.equal(upperName(toBytes(name)), name.toUpperCase(), name);
    assert.equal(lowerName(toBytes(name)), name.toLowerCase(), name);
  }
});
