/**
 * INCRBYFLOAT's arithmetic, bit for bit as Redis on x86-64 does it: C's
 * `long double` (the x87 80-bit format, a 64-bit significand) parsed by
 * strtold, added, and printed with "%.17Lf" minus trailing zeros. A JavaScript
 * double would answer 0.30000000000000004 where Redis answers 0.3, so the
 * format is emulated exactly with BigInt (every step rounds to nearest, ties
 * to even, as the hardware and glibc do).
 */

/** A finite value (-1)^neg × mant × 2^exp with mant < 2^64, or an infinity. */
export interface LongDouble {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
  readonly inf: boolean;
}

const BITS = 64;
const TOP = 1n << BigInt(BITS);
/** The exponent of the smallest subnormal's unit: 2^-16445. */
const EXP_MIN = -16445;
/** Values at or above 2^16384 overflow. */
const EXP_MAX = 16384 - BITS;
/** Redis's MAX_LONG_DOUBLE_CHARS: strings this long are not floats to it. */
const TEXT_MAX = 5 * 1024;

export const ZERO: LongDouble = { neg: false, mant: 0n, exp: 0, inf: false };
const bitLength = (n: bigint): number => n === 0n ? 0 : n.toString(2).length;

/** The nearest value to (-1)^neg × num / den; undefined when it overflows. */
function nearest(neg: boolean, num: bigint, den: bigint): LongDouble | undefined {
  if (num === 0n) return { ...ZERO, neg };
  let exp = Math.max(bitLength(num) - bitLength(den) - BITS, EXP_MIN);
  for (;;) {
    const n = exp < 0 ? num << BigInt(-exp) : num;
    const d = exp > 0 ? den << BigInt(exp) : den;
    let q = n / d;
    if (q >= TOP) {
      exp++;
      continue;
    }
    if (q < TOP >> 1n && exp > EXP_MIN) {
      exp--;
      continue;
    }
    const twice = 2n * (n - q * d);
    if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
    if (q === TOP) {
      q = TOP >> 1n;
      exp++;
    }
    if (exp > EXP_MAX) return undefined;
    return { neg, mant: q, exp, inf: false };
  }
}

/** (-1)^neg × mant × 2^exp as a fraction num / den. */
function fraction(mant: bigint, exp: number): [bigint, bigint] {
  return exp >= 0 ? [mant << BigInt(exp), 1n] : [mant, 1n << BigInt(-exp)];
}

const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_DIGITS = "([0-9a-fA-F]+)(?:\\.([0-9a-fA-F]*))?|\\.([0-9a-fA-F]+)";
const HEX = new RegExp(`^([+-]?)0[xX](?:${HEX_DIGITS})(?:[pP]([+-]?\\d+))?$`);
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/** Redis's string2ld: strtold of the whole string, refusing NaN, overflow and underflow to 0. */
export function parseLongDouble(text: string): LongDouble | undefined {
  if (text.length === 0 || text.length >= TEXT_MAX) return undefined;
  const inf = INFINITY.exec(text);
  if (inf !== null) return { neg: inf[1] === "-", mant: 0n, exp: 0, inf: true };
  const hex = HEX.exec(text);
  const m = hex ?? DECIMAL.exec(text);
  if (m === null) return undefined;
  const neg = m[1] === "-";
  const whole = m[2] ?? "", part = m[3] ?? m[4] ?? "";
  const digits = BigInt((hex === null ? "" : "0x") + ((whole + part).replace(/^0+/, "") || "0"));
  if (digits === 0n) return { ...ZERO, neg };
  // The exponent is clamped: past ±30000 (with at most 5120 digits) the value is out of range.
  const written = Math.max(-30000, Math.min(30000, Number(m[5] ?? "0")));
  // Hex: 4 bits per fraction digit, exponent in powers of 2; decimal: powers of 10.
  const scale = hex === null ? written - part.length : written - 4 * part.length;
  const digitCount = (whole + part).replace(/^0+/, "").length;
  const magnitude = hex === null ? digitCount + scale : (4 * digitCount + scale) * 0.302;
  if (magnitude > 4940) return undefined; // overflow: strtold gives HUGE_VALL
  // Far below the smallest subnormal (2^-16445, about 10^-4950.6) it can only round to zero;
  // nearer, `nearest` decides (a subnormal is a value: Redis refuses only an underflow to 0).
  if (magnitude < -5000) return undefined;
  const power = (hex === null ? 10n : 2n) ** BigInt(Math.abs(scale));
  const value = scale >= 0 ? nearest(neg, digits * power, 1n) : nearest(neg, digits, power);
  if (value === undefined || value.mant === 0n) return undefined;
  return value;
}

/** a + b, rounded once; infinite when it overflows; undefined for NaN (inf - inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return undefined;
    return a.inf ? a : b;
  }
  const low = Math.min(a.exp, b.exp);
  const signed = (x: LongDouble) => (x.neg ? -x.mant : x.mant) << BigInt(x.exp - low);
  const sum = signed(a) + signed(b);
  if (sum === 0n) return { ...ZERO, neg: a.neg && b.neg && a.mant + b.mant === 0n };
  const [num, den] = fraction(sum < 0n ? -sum : sum, low);
  return nearest(sum < 0n, num, den) ?? { neg: sum < 0n, mant: 0n, exp: 0, inf: true };
}

const DIGITS = 17;
const TEN17 = 10n ** BigInt(DIGITS);

/** Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf", trailing zeros and '.' dropped, never "-0". */
export function formatLongDouble(v: LongDouble): string {
  const [num, den] = fraction(v.mant, v.exp);
  const scaled = num * TEN17;
  let q = scaled / den;
  const twice = 2n * (scaled - q * den);
  if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  const whole = (q / TEN17).toString();
  const part = (q % TEN17).toString().padStart(DIGITS, "0").replace(/0+$/, "");
  const text = (v.neg ? "-" : "") + whole + (part === "" ? "" : "." + part);
  return text === "-0" ? "0" : text;
}

/** A float argument or stored value as Redis reads one (never bytes past printable ASCII). */
export function longDoubleOf(bytes: Uint8Array): LongDouble | undefined {
  const text = new TextDecoder().decode(bytes);
  return /^[\x21-\x7e]*$/.test(text) ? parseLongDouble(text) : undefined;
}
