/** A command line that does not fit the contract: exit code 2 (docs/design.md §3). */
export class UsageError extends Error {
  override name = "UsageError";
  readonly code = "USAGE" as const;
}
