/** `--timeout` values: `500` (in the flag's bare unit), `500ms`, `2s`, `1.5s`, `2m`. */
import { UsageError } from "./usage_error.ts";

/** The longest timeout a command takes: a day. */
const MAX_TIMEOUT_MS = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** Milliseconds; a bare number is in `bareUnit` (ms for client commands, s for admin ones). */
export function parseDuration(text: string, flag: string, bareUnit: "ms" | "s" = "ms"): number {
  const m = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m)?$/.exec(text);
  const ms = m === null ? NaN : Math.round(Number(m[1]) * UNIT_MS[m[2] ?? bareUnit]);
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw new UsageError(
      `${flag} must be a duration like 500ms, 2s or 1m (a bare number is ${bareUnit}), ` +
        `at most 24 h, got '${text}'`,
    );
  }
  return ms;
}
