/**
 * The revision checker (src/sim/revision_check.ts) accepts a correct history
 * and catches each planted violation: a lost acknowledged write, a write
 * applied twice, a stale read, a transaction applied in part, a failed write
 * that applied, a real-time inversion and a wrong compare outcome.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { historyOf } from "./rev_history_helper.ts";
import type { RevOp, RevTxnOp } from "../../../src/sim/rev_txn.ts";
import { checkRevisions } from "../../../src/sim/revision_check.ts";

const put = (key: string, value: string): RevTxnOp => ({ put: { key, value } });

function write(ops: RevTxnOp[], call: number, ret: number, revision?: number): RevOp {
  return {
    client: "c1",
    name: "w",
    call,
    ret,
    outcome: "ok",
    txn: { compare: [], success: ops, failure: [] },
    result: { succeeded: true, revision, results: ops.map(() => undefined) },
  };
}

function get(key: string, value: string | undefined, call: number, ret: number): RevOp {
  return {
    client: "c2",
    name: "get",
    call,
    ret,
    outcome: "ok",
    txn: { compare: [], success: [{ range: { key, end: "" } }], failure: [] },
    result: {
      succeeded: true,
      results: [{ kvs: value === undefined ? [] : [{ key, value }] }],
    },
  };
}

/** A txn: if a = expected then put b and c, else put d; reports which branch ran. */
function casTxn(expected: string, succeeded: boolean, revision: number, call = 5): RevOp {
  return {
    client: "c3",
    name: "txn",
    call,
    ret: call + 1,
    outcome: "ok",
    txn: {
      compare: [{ key: "a", target: "value", result: "=", operand: expected }],
      success: [put("b", "b1"), put("c", "c1"), { range: { key: "a", end: "" } }],
      failure: [put("d", "d1")],
    },
    result: {
      succeeded,
      revision,
      results: succeeded ? [undefined, undefined, { kvs: [{ key: "a", value: "a1" }] }] : [
        undefined,
      ],
    },
  };
}

const base = () => [write([put("a", "a1")], 0, 1, 2), get("a", "a1", 2, 3)];

test("revision check: a correct history with a multi-key txn passes", () => {
  const h = historyOf([[2, "a", "a1"], [4, "b", "b1"], [4, "c", "c1"]]);
  const r = checkRevisions([...base(), casTxn("a1", true, 4), get("b", "b1", 8, 9)], h);
  assert.deepEqual(r.violations, []);
  assert.equal(r.fixed, 2);
  assert.equal(r.placed, 2);
});

test("revision check: an acknowledged write missing from the history", () => {
  const r = checkRevisions(base(), historyOf([]));
  assert.match(r.violations.join("\n"), /acknowledged, but its writes are not in the history/);
});

test("revision check: a write applied twice", () => {
  const h = historyOf([[2, "a", "a1"], [3, "a", "a1"]]);
  assert.match(checkRevisions(base(), h).violations.join("\n"), /a=a1 written twice: at 2 and 3/);
});

test("revision check: a stale read (of a revision before a completed write)", () => {
  const h = historyOf([[2, "a", "a1"], [3, "a", "a2"]]);
  const ops = [...base(), write([put("a", "a2")], 4, 5, 3), get("a", "a1", 6, 7)];
  const v = checkRevisions(ops, h).violations.join("\n");
  assert.match(v, /c2 get@\[6,7\]: no state at or after 3 matches/);
});

test("revision check: a txn applied in part", () => {
  const h = historyOf([[2, "a", "a1"], [4, "b", "b1"]]);
  const v = checkRevisions([...base(), casTxn("a1", true, 4)], h).violations.join("\n");
  assert.match(v, /acknowledged, but its writes|should change \{b=b1,c=c1\}, did \{b=b1\}/);
});

test("revision check: a txn's writes at two revisions", () => {
  const h = historyOf([[2, "a", "a1"], [4, "b", "b1"], [5, "c", "c1"]]);
  const v = checkRevisions([...base(), casTxn("a1", true, 4)], h).violations.join("\n");
  assert.match(v, /applied in parts: b=b1@4 c=c1@5/);
});

test("revision check: the wrong branch for the compares", () => {
  const h = historyOf([[2, "a", "a1"], [4, "d", "d1"]]);
  const v = checkRevisions([...base(), casTxn("a1", false, 4)], h).violations.join("\n");
  assert.match(v, /reported failure, compares say otherwise/);
});

test("revision check: a definitely failed write that applied", () => {
  const failed = { ...write([put("a", "a2")], 4, 5), outcome: "fail" as const };
  const h = historyOf([[2, "a", "a1"], [3, "a", "a2"]]);
  assert.match(checkRevisions([...base(), failed], h).violations.join("\n"), /failed, but wrote/);
});

test("revision check: an unknown write may apply once or never", () => {
  const unknown = { ...write([put("a", "a2")], 4, Infinity), outcome: "unknown" as const };
  delete (unknown as { result?: unknown }).result;
  const never = historyOf([[2, "a", "a1"]]);
  assert.deepEqual(checkRevisions([...base(), unknown], never).violations, []);
  const once = historyOf([[2, "a", "a1"], [3, "a", "a2"]]);
  assert.deepEqual(checkRevisions([...base(), unknown], once).violations, []);
});

test("revision check: a write ordered before one that returned earlier", () => {
  const h = historyOf([[2, "a", "a1"], [3, "b", "b1"]]);
  const ops = [write([put("b", "b1")], 0, 1, 3), write([put("a", "a1")], 2, 3, 2)];
  assert.match(checkRevisions(ops, h).violations.join("\n"), /at revision 2, too early/);
});

test("revision check: a reported revision that is not the write's", () => {
  const h = historyOf([[2, "a", "a1"]]);
  const v = checkRevisions([write([put("a", "a1")], 0, 1, 7)], h).violations.join("\n");
  assert.match(v, /reported revision 7, its writes are at 2/);
});

test("revision check: a change no operation made", () => {
  const h = historyOf([[2, "a", "a1"], [3, "z", "zz"]]);
  assert.match(checkRevisions(base(), h).violations.join("\n"), /z=zz at 3: no operation/);
});

test("revision check: a delete-range over a prefix deletes exactly the keys there", () => {
  const del: RevTxnOp = { del: { key: "p/", end: "p0" } };
  const h = historyOf([[2, "p/1", "x"], [3, "p/2", "y"], [4, "p/1", null], [4, "q", "q1"]]);
  const ops = [
    write([put("p/1", "x")], 0, 1, 2),
    write([put("p/2", "y")], 2, 3, 3),
    write([del, put("q", "q1")], 4, 5, 4),
  ];
  assert.match(
    checkRevisions(ops, h).violations.join("\n"),
    /should change \{-p\/1,-p\/2,q=q1\}, did \{-p\/1,q=q1\}/,
  );
});

test("revision check: a read reporting the wrong version or mod revision", () => {
  const h = historyOf([[2, "a", "a1"]]);
  const read = (version: number, modRevision: number): RevOp => ({
    ...get("a", "a1", 2, 3),
    result: {
      succeeded: true,
      results: [{ kvs: [{ key: "a", value: "a1", version, modRevision, createRevision: 2 }] }],
    },
  });
  assert.deepEqual(checkRevisions([base()[0], read(1, 2)], h).violations, []);
  const v = checkRevisions([base()[0], read(2, 2)], h).violations.join("\n");
  assert.match(v, /no state at or after 2 matches/);
  assert.match(checkRevisions([base()[0], read(1, 1)], h).violations.join("\n"), /no state/);
});

/** A RESP SET as the simulation records it: no revision reported. */
const respSet = (key: string, value: string, call: number, ret: number, name = "resp SET") => ({
  ...write([put(key, value)], call, ret),
  client: `r-${key}`,
  name,
});

test("revision check: RESP writes of one batch entry share its revision", () => {
  const h = historyOf([[1, "z", "z0"], [2, "a", "a1"], [3, "x", "x1"], [3, "y", "y1"], [
    3,
    "z",
    null,
  ]]);
  // The DEL of z removed a key: the checker cannot place it, and its change may share.
  const z = write([put("z", "z0")], 0, 1, 1);
  const ops = [z, ...base(), respSet("x", "x1", 4, 6), respSet("y", "y1", 4, 6)];
  assert.deepEqual(checkRevisions(ops, h).violations, []);
});

test("revision check: a shared revision still needs every change accounted for", () => {
  const h = historyOf([[2, "a", "a1"], [3, "x", "x1"], [3, "y", "y1"], [3, "b", "b9"]]);
  const ops = [...base(), respSet("x", "x1", 4, 6), respSet("y", "y1", 4, 6)];
  const v = checkRevisions(ops, h).violations.join("\n");
  assert.match(v, /should change \{x=x1,y=y1\}, did \{b=b9,x=x1,y=y1\}/);
  // A RESP write never shares with a write of another kind (a MULTI block, a protobuf put).
  const h2 = historyOf([[2, "a", "a1"], [3, "x", "x1"], [3, "y", "y1"]]);
  const mixed = [...base(), respSet("x", "x1", 4, 6), respSet("y", "y1", 4, 6, "resp MULTI")];
  assert.match(checkRevisions(mixed, h2).violations.join("\n"), /both at 3/);
});
