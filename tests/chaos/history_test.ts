import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHistory } from "../../src/sim/linearizability.ts";
import { longestGap } from "./report.ts";
import { toCheckerOps } from "./verify.ts";
import type { HistoryOp } from "./workload.ts";

const op = (o: Partial<HistoryOp> & Pick<HistoryOp, "kind" | "call" | "ret">): HistoryOp => ({
  client: 0,
  key: "k",
  value: "",
  outcome: "ok",
  ...o,
});

test("chaos history: a stale read after an acknowledged write is caught", () => {
  const h = [
    op({ kind: "put", value: "a", call: 0, ret: 1 }),
    op({ kind: "put", value: "b", call: 2, ret: 3 }),
    op({ kind: "get", value: "a", call: 4, ret: 5 }),
  ];
  assert.equal(checkHistory(toCheckerOps(h)).ok, false);
});

test("chaos history: unknown writes may apply late; definite failures never apply", () => {
  const unknownThenSeen = [
    op({ kind: "put", value: "a", call: 0, ret: 1 }),
    op({ kind: "put", value: "b", call: 2, ret: 3, outcome: "unknown" }),
    op({ kind: "get", value: "a", call: 4, ret: 5 }),
    op({ kind: "get", value: "b", call: 6, ret: 7 }),
  ];
  assert.equal(checkHistory(toCheckerOps(unknownThenSeen)).ok, true);
  const failedButSeen = [
    op({ kind: "put", value: "a", call: 0, ret: 1 }),
    op({ kind: "put", value: "b", call: 2, ret: 3, outcome: "fail" }),
    op({ kind: "get", value: "b", call: 4, ret: 5 }),
  ];
  assert.equal(checkHistory(toCheckerOps(failedButSeen)).ok, false);
  const casApplied = [
    op({ kind: "put", value: "a", call: 0, ret: 1 }),
    op({ kind: "cas", expected: "a", value: "c", applied: true, call: 2, ret: 3 }),
    op({ kind: "get", value: "a", call: 4, ret: 5 }),
  ];
  assert.equal(checkHistory(toCheckerOps(casApplied)).ok, false);
});

test("chaos history: the longest gap without a successful operation", () => {
  assert.deepEqual(longestGap([1, 2, 10, 11], 0, 12), { gap: 8, at: 2 });
  assert.deepEqual(longestGap([], 0, 5), { gap: 5, at: 0 });
});
