/**
 * arityOk (src/kv/redis/command.ts), Redis's arity rule: a positive arity is the exact count
 * of arguments with the name, a negative one the least count. Written without a negation
 * (the RESP dispatch inlines it; issue 14), so its every case is checked here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { arityOk } from "../../../src/kv/redis/command.ts";

test("arityOk: exact for a positive arity, at least for a negative one", () => {
  for (let arity = -6; arity <= 6; arity++) {
    for (let count = 0; count <= 8; count++) {
      const want = arity >= 0 ? count === arity : count >= Math.abs(arity);
      assert.equal(arityOk(arity, count), want, `arity ${arity}, ${count} arguments`);
    }
  }
  assert.equal(arityOk(-3, 3), true, "SET k v");
  assert.equal(arityOk(-3, 2), false, "SET k");
  assert.equal(arityOk(2, 3), false, "GET k extra");
});
