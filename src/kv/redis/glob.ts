/**
 * Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE): `*` any bytes, `?` one
 * byte, `[abc]`, `[^abc]`, `[a-z]` classes, `\x` the byte x. Bytes, not
 * characters, as Redis compares them. Iterative with one backtrack point for
 * the last `*`, so a pattern cannot cost more than pattern × subject steps.
 */
const STAR = 42, QUESTION = 63, OPEN = 91, CLOSE = 93, CARET = 94, DASH = 45, BACKSLASH = 92;

export function globMatch(pattern: Uint8Array, subject: Uint8Array): boolean {
  let p = 0, s = 0, starP = -1, starS = 0;
  while (s < subject.length) {
    if (p < pattern.length) {
      const c = pattern[p];
      if (c === STAR) {
        while (p < pattern.length && pattern[p] === STAR) p++;
        if (p === pattern.length) return true;
        starP = p;
        starS = s;
        continue;
      }
      const step = matchOne(pattern, p, subject[s]);
      if (step > 0) {
        p += step;
        s++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    s = ++starS;
  }
  while (p < pattern.length && pattern[p] === STAR) p++;
  return p === pattern.length;
}

/** Pattern bytes consumed when the token at `p` matches `b`, or 0 when it does not. */
function matchOne(pattern: Uint8Array, p: number, b: number): number {
  const c = pattern[p];
  if (c === QUESTION) return 1;
  if (c === BACKSLASH && p + 1 < pattern.length) return pattern[p + 1] === b ? 2 : 0;
  if (c !== OPEN) return c === b ? 1 : 0;
  let i = p + 1;
  const negate = pattern[i] === CARET;
  if (negate) i++;
  let hit = false;
  while (i < pattern.length && pattern[i] !== CLOSE) {
    if (pattern[i] === BACKSLASH && i + 1 < pattern.length) {
      if (pattern[i + 1] === b) hit = true;
      i += 2;
    } else if (i + 2 < pattern.length && pattern[i + 1] === DASH && pattern[i + 2] !== CLOSE) {
      const lo = Math.min(pattern[i], pattern[i + 2]), hi = Math.max(pattern[i], pattern[i + 2]);
      if (b >= lo && b <= hi) hit = true;
      i += 3;
    } else {
      if (pattern[i] === b) hit = true;
      i++;
    }
  }
  // An unclosed class ends at the pattern's end (Redis treats it the same way).
  const end = i < pattern.length ? i + 1 : i;
  return hit !== negate ? end - p : 0;
}

/** The literal prefix every match starts with (lets a scan seek instead of reading all). */
export function literalPrefix(pattern: Uint8Array): Uint8Array {
  let i = 0;
  while (i < pattern.length && ![STAR, QUESTION, OPEN, BACKSLASH].includes(pattern[i])) i++;
  return pattern.subarray(0, i);
}
