import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHistory, checkRegister, type Op } from "../../../src/sim/linearizability.ts";
import { explainKey } from "../../../src/sim/explain.ts";

const put = (value: string, call: number, ret: number): Op => ({
  kind: "put",
  key: "k",
  value,
  call,
  ret,
});
const get = (value: string, call: number, ret: number): Op => ({
  kind: "get",
  key: "k",
  value,
  call,
  ret,
});

test("linearizability: sequential history is accepted", () => {
  assert.equal(
    checkRegister([put("a", 0, 1), get("a", 2, 3), put("b", 4, 5), get("b", 6, 7)]),
    true,
  );
});

test("linearizability: a stale read after a completed write is rejected", () => {
  assert.equal(checkRegister([put("a", 0, 1), put("b", 2, 3), get("a", 4, 5)]), false);
});

test("linearizability: a read of a never-written value is rejected", () => {
  assert.equal(checkRegister([put("a", 0, 1), get("z", 2, 3)]), false);
});

test("linearizability: concurrent write may be seen either way", () => {
  assert.equal(checkRegister([put("a", 0, 10), get("a", 1, 2), get("", 3, 4)]), false);
  assert.equal(checkRegister([put("a", 0, 10), get("", 1, 2), get("a", 3, 4)]), true);
});

test("linearizability: reads must not go back in time", () => {
  // Two overlapping writes; once a reader sees b after a, nobody may see a later.
  const h = [put("a", 0, 5), put("b", 0, 5), get("b", 6, 7), get("a", 8, 9)];
  assert.equal(checkRegister(h), false);
  assert.equal(
    checkRegister([put("a", 0, 5), put("b", 0, 5), get("a", 6, 7), get("a", 8, 9)]),
    true,
  );
});

test("linearizability: a write of unknown outcome may or may not take effect", () => {
  assert.equal(checkRegister([put("a", 0, 1), put("b", 2, Infinity), get("a", 3, 4)]), true);
  assert.equal(checkRegister([put("a", 0, 1), put("b", 2, Infinity), get("b", 3, 4)]), true);
  assert.equal(
    checkRegister([put("a", 0, 1), put("b", 2, Infinity), get("b", 3, 4), get("a", 5, 6)]),
    false,
  );
});

test("linearizability: a read returning a value before its write was invoked is rejected", () => {
  assert.equal(checkRegister([get("a", 0, 1), put("a", 2, 3)]), false);
});

test("linearizability: keys are checked independently", () => {
  const ops: Op[] = [
    { kind: "put", key: "x", value: "1", call: 0, ret: 1 },
    { kind: "put", key: "y", value: "2", call: 0, ret: 1 },
    { kind: "get", key: "x", value: "1", call: 2, ret: 3 },
    { kind: "get", key: "y", value: "", call: 2, ret: 3 },
  ];
  const res = checkHistory(ops);
  assert.equal(res.ok, false);
  assert.equal(res.key, "y");
});

test("linearizability: a large concurrent history is checked quickly", () => {
  const ops: Op[] = [];
  for (let i = 0; i < 200; i++) {
    ops.push(put(`v${i}`, i * 3, i * 3 + 5));
    ops.push(get(`v${i}`, i * 3 + 6, i * 3 + 7));
  }
  assert.equal(checkRegister(ops), true);
});

test("linearizability: compare-and-set and delete", () => {
  const cas = (
    expected: string,
    value: string,
    applied: boolean,
    call: number,
    ret: number,
  ): Op => ({
    kind: "cas",
    key: "k",
    expected,
    value,
    applied,
    call,
    ret,
  });
  const del = (call: number, ret: number): Op => ({
    kind: "delete",
    key: "k",
    value: "",
    call,
    ret,
  });
  assert.equal(checkRegister([cas("", "a", true, 0, 1), get("a", 2, 3)]), true);
  // A cas that applied although the value did not match.
  assert.equal(checkRegister([put("a", 0, 1), cas("b", "c", true, 2, 3)]), false);
  // A cas that failed although the value matched and nothing ran concurrently.
  assert.equal(checkRegister([put("a", 0, 1), cas("a", "c", false, 2, 3)]), false);
  assert.equal(checkRegister([put("a", 0, 1), cas("z", "c", false, 2, 3), get("a", 4, 5)]), true);
  assert.equal(checkRegister([put("a", 0, 1), del(2, 3), get("", 4, 5)]), true);
  assert.equal(checkRegister([put("a", 0, 1), del(2, 3), get("a", 4, 5)]), false);
  // An unknown cas may have applied (read sees it) or not (read does not).
  assert.equal(
    checkRegister([put("a", 0, 1), cas("a", "b", false, 2, Infinity), get("b", 5, 6)]),
    true,
  );
  assert.equal(
    checkRegister([put("a", 0, 1), cas("a", "b", false, 2, Infinity), get("a", 5, 6)]),
    true,
  );
  assert.equal(
    checkRegister([put("a", 0, 1), cas("x", "b", false, 2, Infinity), get("b", 5, 6)]),
    false,
  );
});

test("linearizability: incr must return the sum of the increments before it", () => {
  const incr = (value: string, call: number, ret: number): Op => ({
    kind: "incr",
    key: "n",
    value,
    delta: 1,
    call,
    ret,
  });
  assert.equal(checkRegister([incr("1", 0, 1), incr("2", 2, 3)]), true);
  assert.equal(checkRegister([incr("1", 0, 1), incr("1", 2, 3)]), false);
  // Overlapping increments may return in either order; an unknown one may count or not.
  assert.equal(checkRegister([incr("2", 0, 3), incr("1", 1, 2)]), true);
  assert.equal(checkRegister([incr("", 0, Infinity), incr("2", 5, 6)]), true);
  assert.equal(checkRegister([incr("", 0, Infinity), incr("1", 5, 6)]), true);
  assert.equal(checkRegister([incr("3", 5, 6)]), false);
});

test("linearizability: delete reports whether the key existed", () => {
  const del = (existed: boolean, call: number, ret: number): Op => ({
    kind: "delete",
    key: "k",
    value: "",
    existed,
    call,
    ret,
  });
  assert.equal(checkRegister([put("a", 0, 1), del(true, 2, 3), del(false, 4, 5)]), true);
  assert.equal(checkRegister([put("a", 0, 1), del(false, 2, 3)]), false);
  assert.equal(checkRegister([del(true, 0, 1)]), false);
});

test("explain: names a stale read, and does not guess for counters", () => {
  const ops: Op[] = [
    { kind: "put", key: "k", value: "a", call: 0, ret: 1 },
    { kind: "put", key: "k", value: "b", call: 2, ret: 3 },
    { kind: "get", key: "k", value: "a", call: 4, ret: 5 },
  ];
  assert.match(explainKey(ops), /^stale read: get@\[4,5\] returned "a" written by put@\[0,1\]/);
  const counter: Op[] = [
    { kind: "incr", key: "n", value: "1", delta: 1, call: 0, ret: 1 },
    { kind: "get", key: "n", value: "1", call: 2, ret: 3 },
  ];
  assert.match(explainKey(counter), /^no order of its 2 operations/);
});
