/**
 * Invariant checks (docs/style.md §2.15 tier a). An `AssertionError` means a bug in
 * TinyKV itself: production code never catches it. Never assert on untrusted
 * input (bytes from a socket or a disk): decode and validate it instead.
 */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/**
 * Throws `AssertionError` when `condition` is false. The message is an argument, built on every
 * call: on a path run per entry or per command, test first and build it only on failure
 * (`if (seq >= newer) assert(false, \`… ${seq}\`)`); a template argument cost ~30 ns a call
 * under Bun.
 */
export function assert(condition: boolean, message = "Assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Exhaustiveness check for discriminated unions: unreachable by construction. */
export function assertNever(value: never, what = "value"): never {
  throw new AssertionError(`Unexpected ${what}: ${String(value)}`);
}
