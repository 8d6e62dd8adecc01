/**
 * HINCRBYFLOAT's arithmetic as Redis does it on x86-64: C `long double`, the
 * 80-bit extended format (a 64-bit significand, exponents down to subnormals
 * of 2^-16445, up to about 1.19e4932), printed with "%.17Lf" and its trailing
 * zeros trimmed. A JavaScript double would print 10.5 + 0.1 as
 * "10.59999999999999964"; Redis prints "10.6". Emulated exactly with BigInt,
 * so every replica stores the same bytes Redis would.
 */

/** ±mant·2^exp with mant < 2^64: a finite long double (mant 0 is zero). */
export interface LongDouble {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
}

/** The exponent of the least significant bit of the smallest subnormal. */
export const LSB_EXP_MIN = -16445;
/** The exponent of the leading bit of the largest finite value. */
const TOP_EXP_MAX = 16383;
const SIGNIFICAND_BITS = 64;

export const ZERO: LongDouble = { neg: false, mant: 0n, exp: 0 };

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** num/den < 2^t, for positive num and den. */
function below(num: bigint, den: bigint, t: number): boolean {
  return t >= 0 ? num < den << BigInt(t) : num << BigInt(-t) < den;
}

/**
 * The long double nearest to ±num/den (ties to even), as the FPU rounds;
 * undefined when it overflows to infinity. Underflow gives zero (mant 0).
 */
export function roundToLongDouble(neg: boolean, num: bigint, den: bigint): LongDouble | undefined {
  if (num === 0n) return { neg, mant: 0n, exp: 0 };
  let top = bitLength(num) - bitLength(den);
  if (below(num, den, top)) top--;
  const lsb = Math.max(top - (SIGNIFICAND_BITS - 1), LSB_EXP_MIN);
  const n = lsb < 0 ? num << BigInt(-lsb) : num;
  const d = lsb > 0 ? den << BigInt(lsb) : den;
  let mant = n / d;
  const twice = 2n * (n - mant * d);
  if (twice > d || (twice === d && (mant & 1n) === 1n)) mant++;
  let exp = lsb;
  if (mant === 1n << BigInt(SIGNIFICAND_BITS)) {
    mant >>= 1n;
    exp++;
  }
  if (mant !== 0n && exp + bitLength(mant) - 1 > TOP_EXP_MAX) return undefined;
  return { neg, mant, exp };
}

/** a + b rounded once, as `long double` addition does; undefined on overflow. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  const e = Math.min(a.exp, b.exp);
  const signed = (x: LongDouble) => (x.neg ? -x.mant : x.mant) << BigInt(x.exp - e);
  const sum = signed(a) + signed(b);
  // IEEE 754: an exact zero sum is +0, unless both addends are -0.
  if (sum === 0n) return { neg: a.neg && b.neg, mant: 0n, exp: 0 };
  const num = sum < 0n ? -sum : sum;
  return e >= 0
    ? roundToLongDouble(sum < 0n, num << BigInt(e), 1n)
    : roundToLongDouble(sum < 0n, num, 1n << BigInt(-e));
}

const FRACTION_DIGITS = 17n;
const SCALE = 10n ** FRACTION_DIGITS;

/**
 * Redis's LD_STR_HUMAN text: printf("%.17Lf") (the exact value rounded to 17
 * decimals, ties to even, as glibc does), trailing zeros and a bare '.' cut,
 * and "-0" written "0".
 */
export function formatLongDouble(v: LongDouble): string {
  let scaled: bigint;
  if (v.exp >= 0) {
    scaled = (v.mant << BigInt(v.exp)) * SCALE;
  } else {
    const d = 1n << BigInt(-v.exp);
    const n = v.mant * SCALE;
    scaled = n / d;
    const twice = 2n * (n - scaled * d);
    if (twice > d || (twice === d && (scaled & 1n) === 1n)) scaled++;
  }
  const fraction = (scaled % SCALE).toString().padStart(Number(FRACTION_DIGITS), "0")
    .replace(/0+$/, "");
  const text = (scaled / SCALE).toString() + (fraction === "" ? "" : `.${fraction}`);
  return v.neg && text !== "0" ? `-${text}` : text;
}
