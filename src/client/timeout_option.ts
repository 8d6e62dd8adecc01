/**
 * Checks a caller's timeout before the client uses it: a deadline of 0, a
 * negative one, NaN or Infinity would otherwise end the retry loop before its
 * first attempt (an internal assertion), never time out, or overflow the
 * runtime's timers. Such a value is a usage error (INVALID_ARGUMENT), naming
 * the option and the value.
 */
import { CLIENT_TIMEOUT_MS_MAX } from "../limits.ts";
import { PLACEMENT_GROUP_LEAVE_WAIT_MS } from "../limits_ops.ts";
import type { RequestBody } from "./connection.ts";
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

/**
 * How much longer than an attempt a node may hold a request's answer on purpose: `member remove`
 * waits, at most PLACEMENT_GROUP_LEAVE_WAIT_MS, until the placement group no longer counts the
 * removed node (docs/regions.md "The placement group follows the cluster"). Timed out after the
 * usual attempt, the removal was retried once it had committed, and the retry answered "node N
 * is not a member": a removal that succeeded was reported failed, its outcome unknown.
 */
export function heldAnswerMs(body: RequestBody): number {
  return body?.case === "memberRemove" ? PLACEMENT_GROUP_LEAVE_WAIT_MS : 0;
}
