/**
 * TinyKV as a library, for Deno and Bun: the embedded LSM storage engine and
 * (as they land) the client for a TinyKV cluster. Importing this module has no
 * side effects: nothing opens, listens or reads the environment until called.
 *
 * @example
 * ```ts
 * import { VERSION } from "./mod.ts";
 * console.log(`TinyKV ${VERSION}`);
 * ```
 *
 * @module
 */
export { VERSION } from "./src/version.ts";
export {
  ClosedError,
  CorruptionError,
  InvalidArgumentError,
  IoError,
  NoSpaceError,
  NotFoundError,
  TooLargeError,
} from "./src/util/errors.ts";
export * as limits from "./src/limits.ts";
