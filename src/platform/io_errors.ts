/**
 * Maps runtime I/O errors (node:fs error codes, Deno.errors) to TinyKV's typed
 * errors so callers never parse messages.
 */
import { IoError, NoSpaceError, NotFoundError } from "../util/errors.ts";

function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  if (err instanceof Error && err.name === "NotFound") return "ENOENT";
  return undefined;
}

/** Wraps `err` from an operation described by `what` (e.g. "open 000012.sst"). */
export function toIoError(err: unknown, what: string): Error {
  const code = errorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code === "ENOENT") return new NotFoundError(`Cannot ${what}: not found`);
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new NoSpaceError(`Cannot ${what}: no space left on device`, { cause: err });
  }
  return new IoError(`Cannot ${what}: ${detail}`, { cause: err });
}

/** Runs `fn`, converting thrown runtime errors with `toIoError`. */
export function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toIoError(err, what);
  }
}
