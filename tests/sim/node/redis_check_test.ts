/**
 * The simulation's checks of the Redis write path (src/sim/resp_multi_ops.ts,
 * resp_ttl_ops.ts, bank_check.ts): a MULTI/EXEC block with increments is one
 * transaction whose revision must hold exactly its changes, increments by
 * value; a WATCH transfer's transaction compares what its GETs read; the
 * balances' sum is 0 in every read of both; a RESP GET, which reports no
 * expiry, must return a state that had not expired by its call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { historyOf } from "./rev_history_helper.ts";
import { checkBank } from "../../../src/sim/bank_check.ts";
import type { RevOp } from "../../../src/sim/rev_txn.ts";
import { checkRevisions } from "../../../src/sim/revision_check.ts";
import { checkExpiry } from "../../../src/sim/ttl_check.ts";
import type { TtlOp } from "../../../src/sim/ttl_ops.ts";
import { RevHistory } from "../../../src/sim/rev_model.ts";
import { utf8 } from "../../../src/util/bytes.ts";

const exempt = (k: string) => k.startsWith("n/");

/** MULTI; INCR n/0; INCR n/1; SET r/0 v; EXEC, answered with the increments' values. */
function counterBlock(got: [string, string], outcome: "ok" | "unknown" = "ok"): RevOp {
  const incr = (key: string, value: string) => ({ put: { key, value, incrBy: 1 } });
  return {
    client: "r1",
    name: "exec",
    call: 10,
    ret: outcome === "ok" ? 20 : Infinity,
    outcome,
    txn: {
      compare: [],
      success: [incr("n/0", got[0]), incr("n/1", got[1]), { put: { key: "r/0", value: "v" } }],
      failure: [],
    },
    ...(outcome === "ok"
      ? {
        result: {
          succeeded: true,
          results: [{ kvs: [{ key: "n/0", value: got[0] }] }, {
            kvs: [{ key: "n/1", value: got[1] }],
          }, undefined],
        },
      }
      : {}),
  };
}

test("an EXEC of increments and a SET applied whole at one revision passes", () => {
  const h = historyOf([[1, "n/0", "1"], [2, "n/0", "2"], [2, "n/1", "1"], [2, "r/0", "v"]]);
  assert.deepEqual(checkRevisions([counterBlock(["2", "1"])], h, { exempt }).violations, []);
  assert.deepEqual(
    checkRevisions([counterBlock(["", ""], "unknown")], h, { exempt }).violations,
    [],
  );
});

test("an EXEC applied in part, or answering other increments, is caught", () => {
  const split = historyOf([[1, "n/0", "1"], [2, "r/0", "v"], [3, "n/0", "2"], [3, "n/1", "1"]]);
  for (const op of [counterBlock(["2", "1"]), counterBlock(["", ""], "unknown")]) {
    const r = checkRevisions([op], split, { exempt });
    assert.match(r.violations.join("\n"), /should change \{n\/0=2,n\/1=1,r\/0=v\}, did \{r\/0=v\}/);
  }
  const whole = historyOf([[1, "n/0", "1"], [2, "n/0", "2"], [2, "n/1", "1"], [2, "r/0", "v"]]);
  const r = checkRevisions([counterBlock(["3", "1"])], whole, { exempt });
  assert.match(r.violations.join("\n"), /read \[n\/0=3\], expected \[n\/0=2\]/);
});

/** WATCH b/0 b/1; GET b/0 -> read; MULTI; SET b/0 -4:t1; SET b/1 4:t2; EXEC -> OK OK. */
function transfer(read: string, outcome: "ok" | "fail" = "ok"): RevOp {
  return {
    client: "r1",
    name: "transfer",
    call: 30,
    ret: 40,
    outcome,
    txn: {
      compare: [
        { key: "b/0", target: "value", result: "=", operand: read },
        { key: "b/1", target: "modRevision", result: "=", operand: 0 },
      ],
      success: [{ put: { key: "b/0", value: "-4:t1" } }, { put: { key: "b/1", value: "4:t2" } }],
      failure: [],
    },
    ...(outcome === "ok" ? { result: { succeeded: true, results: [] } } : {}),
  };
}

test("a WATCH transfer whose EXEC ran after a watched key changed is caught", () => {
  const setup = {
    client: "r2",
    name: "set",
    call: 1,
    ret: 2,
    outcome: "ok" as const,
    txn: { compare: [], success: [{ put: { key: "b/0", value: "0:t0" } }], failure: [] },
    result: { succeeded: true, results: [undefined] },
  };
  const h = historyOf([[1, "b/0", "0:t0"], [2, "b/0", "-4:t1"], [2, "b/1", "4:t2"]]);
  assert.deepEqual(checkRevisions([setup, transfer("0:t0")], h).violations, []);
  const stale = checkRevisions([setup, transfer("")], h).violations.join("\n");
  assert.match(stale, /compares say otherwise/);
  // A null EXEC (the conflict) must have changed nothing.
  const nulled = checkRevisions([setup, transfer("0:t0", "fail")], h).violations.join("\n");
  assert.match(nulled, /failed, but wrote at 2/);
});

test("the balances of every read of both accounts sum to 0", () => {
  const read = (values: string[]) => ({ client: "r1", call: 1, ret: 2, values });
  assert.deepEqual(checkBank([read(["", ""]), read(["-3:v1", "3:v2"])]), []);
  assert.equal(checkBank([read(["-3:v1", ""])]).length, 1);
  assert.equal(checkBank([read(["x", "3:v2"])]).length, 1);
});

function ttlHistory(v1ExpireAtMs = 1505): RevHistory {
  const h = new RevHistory();
  const kv = (value: string, rev: number, expireAtMs: number) => ({
    key: utf8("x/0"),
    value: utf8(value),
    createRevision: 5,
    modRevision: rev,
    version: rev - 4,
    lease: 0,
    expireAtMs,
  });
  h.add([{ type: "put", kv: kv("v1", 5, v1ExpireAtMs) }]);
  h.add([{ type: "put", kv: kv("v2", 6, 0) }]);
  return h;
}

test("a RESP GET (no expiry reported) of a key past its expiry, or stale, is caught", () => {
  const base = { client: "r1", outcome: "ok" as const };
  // RESP SETs report no revision: the check finds them by their values.
  const set1: TtlOp = {
    ...base,
    kind: "put",
    key: "x/0",
    value: "v1",
    call: 1000,
    ret: 1005,
    ttlMs: 500,
  };
  const set2: TtlOp = { ...base, kind: "put", key: "x/0", value: "v2", call: 1600, ret: 1610 };
  const get = (value: string, call: number): TtlOp => ({
    ...base,
    kind: "get",
    key: "x/0",
    call,
    ret: call + 5,
    seen: [{ key: "x/0", value }],
  });
  const isTtl = (k: string) => k.startsWith("x/");
  const ok = checkExpiry([set1, set2, get("v1", 1200), get("v2", 1700)], ttlHistory(), isTtl);
  assert.deepEqual(ok.violations, []);
  assert.equal(ok.expiring, 1);
  const late = checkExpiry([set1, set2, get("v1", 1505)], ttlHistory(), isTtl);
  assert.match(late.violations.join("\n"), /returned x\/0=v1 \(expiry \?\), no state/);
  // v1 (no expiry here) was current until 6, but v2's SET returned before this read.
  const plain = { ...set1, ttlMs: undefined };
  const stale = checkExpiry([plain, set2, get("v1", 1611)], ttlHistory(0), isTtl);
  assert.match(stale.violations.join("\n"), /returned x\/0=v1 \(expiry \?\), no state/);
  const fresh = checkExpiry([plain, set2, get("v1", 1605)], ttlHistory(0), isTtl);
  assert.deepEqual(fresh.violations, []);
});
