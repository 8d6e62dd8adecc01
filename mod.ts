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

export { Db, Snapshot } from "./src/storage/db.ts";
export type {
  DbOptions,
  DbStats,
  KeyLike,
  ReadOptions,
  ScanOptions,
  WriteOp,
} from "./src/storage/db.ts";
import { getPlatform } from "./src/platform/detect.ts";
import { Db as Engine, type DbOptions as EngineOptions } from "./src/storage/db.ts";

/**
 * Opens (creating if needed) an embedded TinyKV database in directory `path`
 * on the running runtime's file system (Deno or Bun).
 *
 * @example
 * ```ts
 * const db = await openDb("./data", { sync: "always" });
 * await db.put("hello", "world");
 * console.log(new TextDecoder().decode(db.get("hello")));
 * await db.close();
 * ```
 */
export function openDb(path: string, options: EngineOptions = {}): Promise<Engine> {
  const platform = getPlatform();
  return Engine.open(platform.fs, path, { clock: platform.clock, ...options });
}
