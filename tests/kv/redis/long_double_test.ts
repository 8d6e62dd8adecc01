/**
 * The x86-64 long double emulation behind HINCRBYFLOAT. Expected texts were
 * checked against redis-server 7.0.15 (HINCRBYFLOAT on a new field), which
 * parses with strtold, adds in long double and prints with "%.17Lf".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addLongDouble,
  formatLongDouble,
  type LongDouble,
  roundToLongDouble,
  ZERO,
} from "../../../src/kv/redis/long_double.ts";
import { parseLongDouble } from "../../../src/kv/redis/long_double_parse.ts";
import { utf8 } from "../../../src/util/bytes.ts";

function parse(text: string): LongDouble {
  const v = parseLongDouble(utf8(text));
  if (v === undefined || v === "infinite") throw new Error(`${text} is not finite`);
  return v;
}

test("long double: 64 significant bits, rounded to nearest, ties to even", () => {
  assert.deepEqual(roundToLongDouble(false, 2n ** 64n + 1n, 1n), {
    neg: false,
    mant: 2n ** 63n,
    exp: 1,
  });
  assert.deepEqual(roundToLongDouble(false, 2n ** 64n + 3n, 1n), {
    neg: false,
    mant: 2n ** 63n + 2n,
    exp: 1,
  });
  assert.equal(formatLongDouble(parse("18446744073709551617")), "18446744073709551616");
  assert.equal(formatLongDouble(parse("9223372036854775807")), "9223372036854775807");
  // 0.1 as a long double is 0.1000000000000000000013552527...: printed with 17 decimals, 0.1.
  assert.equal(formatLongDouble(parse("0.1")), "0.1");
  assert.equal(formatLongDouble(addLongDouble(parse("10.5"), parse("0.1")) ?? ZERO), "10.6");
});

test("long double: printing rounds the exact value half to even at 17 decimals", () => {
  assert.equal(formatLongDouble(parse("0x1p-18")), "0.00000381469726562"); // ...5625: a tie
  assert.equal(formatLongDouble(parse("0x3p-19")), "0.00000572204589844");
  assert.equal(formatLongDouble(parse("5e-18")), "0");
  assert.equal(formatLongDouble(parse("-1e-18")), "0", "no negative zero");
  assert.equal(formatLongDouble(parse("-0")), "0");
  assert.equal(formatLongDouble(parse("1.5e-17")), "0.00000000000000002");
});

test("long double: the range ends: overflow, subnormals and underflow", () => {
  assert.equal(parseLongDouble(utf8("1.18973149535723176502e+4932")) !== undefined, true);
  assert.equal(parseLongDouble(utf8("1.18973149535723176509e+4932")), undefined, "rounds to inf");
  assert.equal(addLongDouble(parse("1e4932"), parse("1e4932")), undefined, "overflow");
  assert.deepEqual(parse("0x1p-16445"), { neg: false, mant: 1n, exp: -16445 }, "least subnormal");
  assert.deepEqual(parse("2e-4951"), { neg: false, mant: 1n, exp: -16445 }, "rounds up to it");
  assert.equal(parseLongDouble(utf8("1e-4951")), undefined, "rounds to zero: refused");
  assert.deepEqual(parse("0e-99999999999"), { neg: false, mant: 0n, exp: 0 }, "an exact zero");
});

test("long double: strtold's syntax, whole text only", () => {
  for (const ok of ["1", "-1.5", "+.5", "5.", "1E5", "1e-5", "0x1.8p1", "0X.8", "00012.50"]) {
    assert.notEqual(parseLongDouble(utf8(ok)), undefined, ok);
  }
  for (const inf of ["inf", "-INF", "Infinity", "+infinity"]) {
    assert.equal(parseLongDouble(utf8(inf)), "infinite", inf);
  }
  const bad = [
    "",
    " 1",
    "1 ",
    "1e",
    "1e+",
    ".",
    "+",
    "-",
    "0x",
    "0x1p",
    "--1",
    "1.5.5",
    "nan",
    "NaN(1)",
    "infinit",
    "1\u00002",
    "١",
    `0.${"1".repeat(5118)}`, // 5120 characters: over Redis's buffer
  ];
  for (const text of bad) {
    assert.equal(parseLongDouble(utf8(text)), undefined, JSON.stringify(text));
  }
  assert.notEqual(parseLongDouble(utf8(`0.${"1".repeat(5117)}`)), undefined, "5119 chars");
});
