/**
 * INCRBYFLOAT's long double emulation against redis-server 7.0.15 on x86-64:
 * incrbyfloat_cases.ts holds redis-server's answers to 400 random calls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
} from "../../../src/kv/redis/long_double.ts";
import { INCRBYFLOAT_CASES } from "./incrbyfloat_cases.ts";

/** What INCRBYFLOAT does to the text `current` (undefined: no key): its reply, or its error. */
function incrbyfloat(current: string | undefined, increment: string): string {
  const a = parseLongDouble(current ?? "0");
  const b = parseLongDouble(increment);
  if (a === undefined || b === undefined) return "invalid";
  const sum = addLongDouble(a, b);
  return sum === undefined || sum.inf ? "naninf" : formatLongDouble(sum);
}

test("long double: 400 random INCRBYFLOAT calls answer as redis-server 7.0 does", () => {
  const values = new Map<string, string>();
  for (const [key, increment, want] of INCRBYFLOAT_CASES) {
    const got = incrbyfloat(values.get(key), increment);
    assert.equal(got, want, `INCRBYFLOAT ${key} ${increment} after ${values.get(key)}`);
    if (got !== "invalid" && got !== "naninf") values.set(key, got);
  }
});

test("long double: the range of the x87 format, its subnormals and its rounding", () => {
  // 2^-18 ends in ...5 at the 18th decimal: printf rounds the tie to even.
  assert.equal(incrbyfloat(undefined, "0.000003814697265625"), "0.00000381469726562");
  assert.equal(incrbyfloat(undefined, "0.000011444091796875"), "0.00001144409179688");
  assert.equal(incrbyfloat(undefined, "0.1"), "0.1"); // a double would print 0.10000000000000001
  assert.equal(incrbyfloat("1e308", "1e308").length, 309); // past a double's range
  assert.equal(incrbyfloat(undefined, "1.1e4932").length, 4933);
  assert.equal(incrbyfloat("1.1e4932", "1.1e4932"), "naninf");
  assert.equal(incrbyfloat(undefined, "1e5000"), "invalid"); // strtold overflows
  assert.equal(incrbyfloat(undefined, "1e-5000"), "invalid"); // underflows to zero
  assert.equal(incrbyfloat(undefined, "3e-4951"), "0"); // a subnormal: accepted
  assert.equal(incrbyfloat(undefined, "1e-4951"), "invalid"); // rounds to zero
  assert.equal(incrbyfloat(undefined, "-1e-18"), "0"); // never "-0"
  assert.equal(incrbyfloat(undefined, "-0x1.8p1"), "-3");
  assert.equal(incrbyfloat("inf", "1"), "naninf");
  assert.equal(incrbyfloat("inf", "-inf"), "naninf");
  assert.equal(incrbyfloat(undefined, "nan"), "invalid");
  assert.equal(incrbyfloat(undefined, "x".repeat(5120)), "invalid");
  assert.equal(incrbyfloat(undefined, "0".repeat(5119)), "0"); // just under Redis's 5 KiB
});
