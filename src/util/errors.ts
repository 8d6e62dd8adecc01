/**
 * Operating errors (docs/style.md §2.15 tier c): typed `Error` subclasses with a
 * literal `code`, so callers can branch on `err.code` without string matching.
 */

/** Stored bytes fail a checksum or structural check. Never served as data. */
export class CorruptionError extends Error {
  override name = "CorruptionError";
  readonly code = "CORRUPTION" as const;
  constructor(readonly file: string, readonly offset: number, reason: string) {
    super(`Corruption in ${file} at offset ${offset}: ${reason}`);
  }
}

/** A file-system or socket operation failed for a reason other than space. */
export class IoError extends Error {
  override name = "IoError";
  readonly code = "IO" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The device is full (ENOSPC / EDQUOT). Writes fail; reads still work. */
export class NoSpaceError extends Error {
  override name = "NoSpaceError";
  readonly code = "NO_SPACE" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A key, value, batch or frame is over its documented limit (src/limits.ts). */
export class TooLargeError extends Error {
  override name = "TooLargeError";
  readonly code = "TOO_LARGE" as const;
  constructor(readonly what: string, readonly bytes: number, readonly limitBytes: number) {
    super(`${what} is ${bytes} bytes; the limit is ${limitBytes} bytes`);
  }
}

/** A caller passed a value outside the API's contract (not a bug in TinyKV). */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
  readonly code = "INVALID_ARGUMENT" as const;
}

/**
 * A region image whose range overlaps another local region (kv/region_snapshot_import.ts): it
 * cannot install until that region has caught up (applied the split or merge that makes them fit)
 * or left; nothing was written. Its name stays InvalidArgumentError (what a caller is told).
 */
export class ImageOverlapError extends InvalidArgumentError {}

/** The object was closed, or entered a failed state after a sync error (sticky). */
export class ClosedError extends Error {
  override name = "ClosedError";
  readonly code = "CLOSED" as const;
}

/**
 * The CorruptionError behind `err`, following `cause` links (the engine wraps
 * a background failure in a ClosedError), or undefined.
 */
export function findCorruption(err: unknown): CorruptionError | undefined {
  for (let e = err, depth = 0; e !== undefined && depth < 8; depth++) {
    if (e instanceof CorruptionError) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/** Returns the message of an unknown thrown value without assuming it is an Error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A file or directory does not exist (ENOENT). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  readonly code = "NOT_FOUND" as const;
}
