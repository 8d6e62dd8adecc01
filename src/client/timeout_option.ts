/**
 * Checks a caller's timeout before the client uses it: a deadline of 0, a
 * negative one, NaN or Infinity would otherwise end the retry loop before its
 * first attempt (an internal assertion), never time out, or overflow the
 * runtime's timers. Such a value is a usage error (INVALID_ARGUMENT), naming
 * the option and the value.
 */
import { CLIENT_TIMEOUT_MS_MAX } from "../limits.ts";
import { TinyKvError } from "./errors.ts";

function refuse(option: string, what: string, value: number): TinyKvError {
  return new TinyKvError(
    "INVALID_ARGUMENT",
    `${option} must be ${what} of milliseconds, at most ${CLIENT_TIMEOUT_MS_MAX}; got ${value}`,
    false,
  );
}

/** A client option (`deadlineMs`, `attemptTimeoutMs`): undefined or a positive integer. */
export function checkTimeoutOption(option: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value <= 0 || value > CLIENT_TIMEOUT_MS_MAX) {
    throw refuse(option, "a positive whole number", value);
  }
}

/**
 * One call's timeout: a positive finite number (fractional is fine, it is
 * what is left of a deadline on a millisecond clock), or the error for it.
 */
export function timeoutError(option: string, value: number): TinyKvError | undefined {
  if (Number.isFinite(value) && value > 0 && value <= CLIENT_TIMEOUT_MS_MAX) return undefined;
  return refuse(option, "a positive number", value);
}
