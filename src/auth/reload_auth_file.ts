/**
 * Re-reads `--auth-file` into a running node's authenticator (on SIGHUP: the signal's wiring
 * lives with the node's other reloads). A file that does not parse changes nothing: the node
 * keeps serving with the users it had, and the caller logs why.
 */
import type { FileSystem } from "../platform/types.ts";
import type { Authenticator } from "./authenticator.ts";
import { loadAuthFile } from "./load_auth_file.ts";

/** Undefined when the new file is in force; else why it was not loaded. */
export function reloadAuthFile(
  auth: Authenticator,
  fs: FileSystem,
  path: string,
): string | undefined {
  try {
    auth.reload(loadAuthFile(fs, path));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
