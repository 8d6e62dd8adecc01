/**
 * Redis's string2ld: a float argument or hash value is the whole text as glibc
 * strtold reads it — decimal ("-1.5e3", ".5", "5."), hex ("0x1.8p3"), "inf" or
 * "infinity" in any case — with no leading space and nothing after it. NaN is
 * refused, and so is a value strtold flags out of range: one that overflows
 * to infinity or underflows to zero (a subnormal result is kept).
 */
import { bitLength, type LongDouble, LSB_EXP_MIN, roundToLongDouble } from "./long_double.ts";

/** Redis's MAX_LONG_DOUBLE_CHARS: text this long or longer is not a float. */
const TEXT_CHARS_MAX = 5 * 1024;

const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0x(?:([\da-f]+)(?:\.([\da-f]*))?|\.([\da-f]+))(?:p([+-]?\d+))?$/i;
const INFINITE = /^[+-]?(?:inf|infinity)$/i;

/** A finite value, "infinite" for ±inf (callers refuse it with their own error), or undefined. */
export function parseLongDouble(bytes: Uint8Array): LongDouble | "infinite" | undefined {
  if (bytes.length === 0 || bytes.length >= TEXT_CHARS_MAX) return undefined;
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  if (INFINITE.test(text)) return "infinite";
  const hex = HEX.exec(text);
  if (hex !== null) return hexValue(hex);
  const decimal = DECIMAL.exec(text);
  return decimal === null ? undefined : decimalValue(decimal);
}

/** An exponent's digits, clamped far beyond any that keeps a value finite and nonzero. */
function exponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const digits = text.replace(/^[+-]/, "").replace(/^0+/, "");
  const n = digits.length > 9 ? 1e9 : Number(digits === "" ? "0" : digits);
  return text.startsWith("-") ? -n : n;
}

/** Out of range (to ±inf or to zero) is refused, as Redis refuses strtold's ERANGE. */
function inRange(v: LongDouble | undefined): LongDouble | undefined {
  return v === undefined || v.mant === 0n ? undefined : v;
}

function decimalValue(m: RegExpExecArray): LongDouble | undefined {
  const neg = m[1] === "-";
  const fraction = m[3] ?? m[4] ?? "";
  const digits = ((m[2] ?? "") + fraction).replace(/^0+/, "");
  if (digits === "") return { neg, mant: 0n, exp: 0 };
  const e = exponent(m[5]) - fraction.length;
  // At least 1e4933 (over the largest long double), or under 1e-4952 (rounds to zero).
  if (digits.length - 1 + e >= 4933 || digits.length + e <= -4952) return undefined;
  const d = BigInt(digits);
  return inRange(
    e >= 0
      ? roundToLongDouble(neg, d * 10n ** BigInt(e), 1n)
      : roundToLongDouble(neg, d, 10n ** BigInt(-e)),
  );
}

function hexValue(m: RegExpExecArray): LongDouble | undefined {
  const neg = m[1] === "-";
  const fraction = m[3] ?? m[4] ?? "";
  const digits = ((m[2] ?? "") + fraction).replace(/^0+/, "");
  if (digits === "") return { neg, mant: 0n, exp: 0 };
  const e = exponent(m[5]) - 4 * fraction.length;
  const h = BigInt(`0x${digits}`);
  const top = bitLength(h) - 1 + e;
  // At least 2^16384 overflows; under 2^(LSB_EXP_MIN - 1) rounds to zero.
  if (top >= 16384 || top < LSB_EXP_MIN - 2) return undefined;
  return inRange(
    e >= 0
      ? roundToLongDouble(neg, h << BigInt(e), 1n)
      : roundToLongDouble(neg, h, 1n << BigInt(-e)),
  );
}
